package room

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrInsecure reports a relay asked to serve beyond loopback without
// credentials or TLS.
var ErrInsecure = errors.New("room: relay beyond loopback needs --auth and --tls-cert/--tls-key")

// RelayConfig configures a relay.
type RelayConfig struct {
	Listen  string // HOST:PORT; "" = 127.0.0.1:4222; port 0 = any free port
	Store   string // JetStream directory (required)
	Auth    *Auth  // nil = open room, loopback only
	TLSCert string // PEM files; both or neither
	TLSKey  string
	// Cluster, when set, joins a JetStream cluster of relays.
	Cluster *ClusterConfig
	Name    string // server name; "" = derived from Listen
	Log     bool   // log connections and errors to stderr
}

// ClusterConfig makes a relay one node of a NATS cluster.
type ClusterConfig struct {
	Name   string   // cluster name, the same on every node
	Listen string   // HOST:PORT for routes
	Routes []string // nats-route://HOST:PORT of the other nodes
}

// Relay is a running embedded NATS server with JetStream.
type Relay struct {
	srv *server.Server
}

// StartRelay checks cfg, starts the server and waits until it accepts
// connections. With an Auth, the streams and buckets of every room it names
// are created (hosts may not create them).
func StartRelay(ctx context.Context, cfg RelayConfig) (*Relay, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:4222"
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("room: --listen %q: %v (want HOST:PORT)", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("room: --listen %q: bad port", cfg.Listen)
	}
	if host == "" {
		return nil, fmt.Errorf("room: --listen %q: name the address (127.0.0.1 for this machine only)", cfg.Listen)
	}
	if cfg.Store == "" {
		return nil, errors.New("room: the relay needs a --store directory")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("room: give both --tls-cert and --tls-key, or neither")
	}
	if !isLoopback(host) && (cfg.Auth == nil || cfg.TLSCert == "") {
		return nil, fmt.Errorf("%w (address %s is not loopback)", ErrInsecure, host)
	}
	name := cfg.Name
	if name == "" {
		name = "podmark-relay"
	}
	opts := &server.Options{
		ServerName: name, Host: host, Port: port,
		JetStream: true, StoreDir: cfg.Store,
		NoSigs: true, NoLog: !cfg.Log, Logtime: true, LogtimeUTC: true,
		MaxPayload: 1 << 20,
	}
	if port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("room: --tls-cert/--tls-key: %w", err)
		}
		opts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		opts.TLS = true
		opts.TLSTimeout = 5
	}
	if cfg.Auth != nil {
		for _, m := range cfg.Auth.Members {
			p := cfg.Auth.Permissions(m)
			if m.Nkey != "" {
				opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: m.Nkey, Permissions: p})
			} else {
				opts.Users = append(opts.Users, &server.User{Username: m.User, Password: m.Bcrypt, Permissions: p})
			}
		}
		// The relay's own user, to create the rooms' streams.
		opts.Users = append(opts.Users, &server.User{Username: relayUser, Password: relaySecret})
	}
	if c := cfg.Cluster; c != nil {
		ch, cp, err := net.SplitHostPort(c.Listen)
		if err != nil {
			return nil, fmt.Errorf("room: cluster listen %q: %v", c.Listen, err)
		}
		opts.Cluster.Name = c.Name
		opts.Cluster.Host = ch
		opts.Cluster.Port, _ = strconv.Atoi(cp)
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("room: route %q: %v", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("room: relay: %w", err)
	}
	if cfg.Log {
		srv.ConfigureLogger()
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("room: relay did not start on %s", cfg.Listen)
	}
	r := &Relay{srv: srv}
	if cfg.Auth != nil {
		if err := r.createRooms(ctx, cfg.Auth); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// The relay's own in-process user (auth mode only), which creates streams.
// It is only reachable with the random secret of this process.
const relayUser = "podmark-relay"

var relaySecret = nats.NewInbox()

func (r *Relay) createRooms(ctx context.Context, a *Auth) error {
	nc, err := nats.Connect(r.srv.ClientURL(), nats.UserInfo(relayUser, relaySecret), nats.InProcessServer(r.srv))
	if err != nil {
		return fmt.Errorf("room: relay: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("room: relay: %w", err)
	}
	for _, n := range a.Rooms() {
		if err := EnsureRoom(ctx, js, n, 1); err != nil {
			return err
		}
	}
	// Every host's hand-off bucket: hosts may not create streams.
	for _, m := range a.Members {
		if m.Role == RoleHost {
			if _, err := EnsureUploadBucket(ctx, js, Names{Show: m.Show, Episode: m.Episode}, m.Host, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// ClientURL is the URL clients dial.
func (r *Relay) ClientURL() string { return r.srv.ClientURL() }

// Addr is the address the relay listens on.
func (r *Relay) Addr() net.Addr { return r.srv.Addr() }

// Server is the embedded server (for tests and cluster checks).
func (r *Relay) Server() *server.Server { return r.srv }

// Close shuts the server down and waits for it.
func (r *Relay) Close() {
	r.srv.Shutdown()
	r.srv.WaitForShutdown()
}

// Wait blocks until the server shuts down.
func (r *Relay) Wait() { r.srv.WaitForShutdown() }

// EnsureRoom creates the room's stream and rundown bucket if they do not
// exist, with replicas copies (1 for a single relay, 3 on a cluster).
func EnsureRoom(ctx context.Context, js jetstream.JetStream, n Names, replicas int) error {
	if replicas < 1 {
		replicas = 1
	}
	_, err := js.Stream(ctx, n.Stream())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        n.Stream(),
			Description: "podmark room " + n.Show + "/" + n.Episode,
			Subjects:    []string{n.AllMarkers()},
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxMsgSize:  MaxMessage,
			Duplicates:  24 * time.Hour, // a host's republished event is stored once
			DenyDelete:  true,
			DenyPurge:   true,
		})
	}
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("room: stream %s: %w", n.Stream(), err)
	}
	_, err = js.KeyValue(ctx, n.RundownBucket())
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: n.RundownBucket(), Description: "podmark rundown " + n.Show + "/" + n.Episode,
			History: 16, Storage: jetstream.FileStorage, Replicas: replicas, MaxValueSize: 64 << 10,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("room: bucket %s: %w", n.RundownBucket(), err)
	}
	return nil
}
