package room

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

// testPKI writes a CA (ca.pem), a certificate for 127.0.0.1 signed by it
// (cert.pem, key.pem), and an unrelated CA (other-ca.pem) into dir.
func testPKI(t *testing.T, dir string) (ca, cert, key, otherCA string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mkCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, k, der
	}
	caCert, caKey, caDER := mkCA("podmark test CA")
	_, _, otherDER := mkCA("some other CA")
	lk := newKey()
	leaf := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano() + 1), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &lk.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(lk)
	if err != nil {
		t.Fatal(err)
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", kder),
		write("other-ca.pem", "CERTIFICATE", otherDER)
}

type logs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logs) add(s string) { l.mu.Lock(); l.b.WriteString(s + "\n"); l.mu.Unlock() }
func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTLS: a relay with a certificate from the show's own CA; hosts join
// with a tls:// link and the CA file and exchange markers; a host given
// another CA, or none, is refused with a message naming what to fix, and
// a CA file that is missing or not PEM is an error naming it.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key, otherCA := testPKI(t, dir)
	r, err := StartRelay(context.Background(), RelayConfig{Listen: "127.0.0.1:0", Store: t.TempDir(), TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := ParseLink(fmt.Sprintf("tls://%s/show/ep1", r.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	joinTLS := func(host, caFile string, lg *logs, on func(Received)) *Client {
		c, err := Join(Config{Link: l, CA: caFile, Host: host, Rate: 48000, Dir: t.TempDir(), OnMarker: on, Log: lg.add})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	bIn := newInbox()
	a := joinTLS("alice", ca, &logs{}, nil)
	b := joinTLS("bob", ca, &logs{}, bIn.add)
	deadline := time.Now().Add(20 * time.Second)
	for !a.Joined() || !b.Joined() {
		if time.Now().After(deadline) {
			t.Fatal("hosts did not join over TLS")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !a.nc.TLSRequired() {
		t.Error("the connection is not TLS")
	}
	a.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Topic, Title: "over TLS", Sample: 48000, UTC: time.Now().UTC()})
	if got := bIn.waitN(t, 1, 10*time.Second); got[0].Title != "over TLS" || got[0].Author != "alice" {
		t.Errorf("bob got %+v", got[0])
	}

	tests := []struct {
		name, ca string
		want     []string
	}{
		{"another CA", otherCA, []string{otherCA, "--room-ca", "not trusted"}},
		{"no CA", "", []string{"this system's CAs", "--room-ca"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lg := &logs{}
			c := joinTLS("carol", tt.ca, lg, nil)
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(lg.String(), "refused") {
				if time.Now().After(deadline) {
					t.Fatalf("no refusal said within 10 s; log:\n%s", lg)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, w := range tt.want {
				if !strings.Contains(lg.String(), w) {
					t.Errorf("log %q does not say %q", lg, w)
				}
			}
			if c.Joined() || c.Link() == LinkOnline {
				t.Errorf("joined with %s", tt.name)
			}
			time.Sleep(time.Second) // retries: said once
			if n := strings.Count(lg.String(), "refused"); n != 1 {
				t.Errorf("said %d times, want once:\n%s", n, lg)
			}
		})
	}
	for _, bad := range []string{filepath.Join(dir, "missing.pem"), key} {
		_, err := Join(Config{Link: l, CA: bad, Host: "dave", Rate: 48000})
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("CA file %s: %v, want an error naming it", bad, err)
		}
	}
}
