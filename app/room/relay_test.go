package room

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func startRelay(t *testing.T, store string) *Relay {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := StartRelay(ctx, RelayConfig{Listen: "127.0.0.1:0", Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRelayRefusesOpenNonLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", "192.0.2.1:4222", "[::]:0"} {
		_, err := StartRelay(context.Background(), RelayConfig{Listen: listen, Store: t.TempDir()})
		if !errors.Is(err, ErrInsecure) {
			t.Errorf("listen %s without --auth: %v, want ErrInsecure", listen, err)
		}
	}
	if _, err := StartRelay(context.Background(), RelayConfig{Listen: "127.0.0.1:0"}); err == nil {
		t.Error("relay without a store started")
	}
	if _, err := StartRelay(context.Background(), RelayConfig{Listen: "127.0.0.1:0", Store: t.TempDir(), TLSCert: "x"}); err == nil {
		t.Error("relay with --tls-cert but no --tls-key started")
	}
}

// TestRelayKeepsMessagesAcrossRestart stores markers, restarts the relay on
// the same store, and finds them all (and the dedup window still active).
func TestRelayKeepsMessagesAcrossRestart(t *testing.T) {
	store := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := Names{Show: "s", Episode: "e"}
	r := startRelay(t, store)
	port := r.Addr().String()
	nc, err := nats.Connect(r.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if err := EnsureRoom(ctx, js, n, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := js.Publish(ctx, n.Markers("alice"), []byte{byte('0' + i)}, jetstream.WithMsgID(string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	r.Close()

	r2, err := StartRelay(ctx, RelayConfig{Listen: port, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	nc, err = nats.Connect(r2.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = jetstream.New(nc)
	if err := EnsureRoom(ctx, js, n, 1); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, n.Markers("alice"), []byte("again"), jetstream.WithMsgID("c"))
	if err != nil || !ack.Duplicate {
		t.Errorf("republished event after restart: %+v, %v; want a duplicate", ack, err)
	}
	s, err := js.Stream(ctx, n.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 10 {
		t.Errorf("after restart the stream holds %d messages, want 10", info.State.Msgs)
	}
}
