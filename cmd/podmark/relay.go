package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/podmark/podmark/app/room"
)

func init() {
	register("relay", "run the room's NATS relay (embedded nats-server with JetStream)", runRelay)
}

func runRelay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark relay [--listen HOST:PORT] [--store DIR] [--auth FILE] [--tls-cert F --tls-key F]")
		fmt.Fprintln(stderr, "Without --auth it serves this machine only (loopback); any other address needs --auth and TLS.")
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:4222", "`address` to serve, HOST:PORT (port 0 = any free port)")
	store := fs.String("store", "podmark-relay", "JetStream `directory`: the rooms' markers and rundowns, kept across restarts")
	authFile := fs.String("auth", "", "credentials `file` made by 'podmark room invite': closes the rooms to everyone else")
	cert := fs.String("tls-cert", "", "TLS certificate `file` (PEM)")
	key := fs.String("tls-key", "", "TLS key `file` (PEM)")
	quiet := fs.Bool("quiet", false, "do not log connections and errors")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "podmark relay: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg := room.RelayConfig{Listen: *listen, Store: *store, TLSCert: *cert, TLSKey: *key, Log: !*quiet}
	if *authFile != "" {
		a, err := room.ReadAuth(*authFile)
		if err != nil {
			fmt.Fprintf(stderr, "podmark relay: --auth: %v\n", err)
			return 2
		}
		cfg.Auth = a
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := room.StartRelay(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "podmark relay: %v\n", err)
		if errors.Is(err, room.ErrInsecure) {
			return 2
		}
		return 1
	}
	mode := "open (loopback only)"
	if cfg.Auth != nil {
		mode = fmt.Sprintf("closed: %d credential(s) in %s", len(cfg.Auth.Members), *authFile)
	}
	fmt.Fprintf(stdout, "podmark relay: serving %s, store %s, %s\n", r.ClientURL(), *store, mode)
	<-ctx.Done()
	fmt.Fprintln(stderr, "podmark relay: shutting down")
	r.Close()
	return 0
}
