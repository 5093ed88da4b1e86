package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestPKI writes a CA, a certificate for 127.0.0.1 signed by it, its
// key, and an unrelated CA into dir.
func writeTestPKI(t *testing.T, dir string) (ca, cert, key, otherCA string) {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	serial := int64(1)
	sign := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, priv *ecdsa.PrivateKey) []byte {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, otherKey, leafKey := newKey(), newKey(), newKey()
	caTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "show CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER := sign(caTmpl, nil, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	otherDER := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "other CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign},
		nil, &otherKey.PublicKey, otherKey)
	leafDER := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "relay"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, caCert, &leafKey.PublicKey, caKey)
	kder, err := x509.MarshalECPrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("relay.pem", "CERTIFICATE", leafDER), write("relay.key", "EC PRIVATE KEY", kder),
		write("other-ca.pem", "CERTIFICATE", otherDER)
}

// TestE2ERoomTLS: `podmark relay --tls-cert --tls-key` with a certificate
// from the show's own CA; two `podmark record --room tls://… --room-ca`
// exchange markers; a third given another CA records anyway and says the
// relay was refused, naming the CA file.
func TestE2ERoomTLS(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	ca, cert, key, otherCA := writeTestPKI(t, dir)
	_, url := startRelayProc(t, bin, filepath.Join(dir, "store"), "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(url, "tls://") {
		t.Fatalf("relay with a certificate serves %s, want tls://", url)
	}
	link := url + "/show/ep1"
	a := startRoomChild(t, bin, "--out", filepath.Join(dir, "alice"), "--device", "ramp", "--host", "alice", "--room", link, "--room-ca", ca)
	b := startRoomChild(t, bin, "--out", filepath.Join(dir, "bob"), "--device", "ramp", "--host", "bob", "--room", link, "--room-ca", ca)
	c := startRoomChild(t, bin, "--out", filepath.Join(dir, "carol"), "--device", "ramp", "--host", "carol", "--room", link, "--room-ca", otherCA)
	waitFor(t, 20*time.Second, func() bool {
		return strings.Contains(a.stderr.String(), "bob is recording") && strings.Contains(b.stderr.String(), "alice is recording")
	})
	a.send(t, "topic over TLS")
	a.next(t, false, 5*time.Second)
	if got := b.next(t, true, 5*time.Second); got.Title != "over TLS" || got.Author != "alice" {
		t.Errorf("bob got %+v", got)
	}
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(c.stderr.String(), "refused") })
	msg := c.stderr.String()
	if !strings.Contains(msg, otherCA) || !strings.Contains(msg, "--room-ca") {
		t.Errorf("carol's refusal does not name the CA file %s:\n%s", otherCA, msg)
	}
	c.send(t, "note still recording")
	c.next(t, false, 5*time.Second) // her own marker is acknowledged all the same
	for _, h := range []*roomChild{a, b, c} {
		h.stop(t)
	}
	if strings.Contains(a.stderr.String(), "carol") {
		t.Errorf("alice saw carol, who was refused:\n%s", a.stderr.String())
	}
}
