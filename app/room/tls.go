package room

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// checkCA reads a CA file given for a tls:// link, so that a missing or
// unreadable one is an error naming it before anything is dialled.
func checkCA(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("room: CA file: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return fmt.Errorf("room: CA file %s: no PEM certificate in it", path)
	}
	return nil
}

// certError says why a TLS handshake refused the relay's certificate, or
// returns "" when err is not about the certificate.
func certError(err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ua):
		return "its certificate is signed by an authority not trusted here (" + ua.Error() + ")"
	case errors.As(err, &he):
		return "its certificate is for another name (" + he.Error() + ")"
	case errors.As(err, &ci):
		return "its certificate is not valid (" + ci.Error() + ")"
	case errors.As(err, &ve):
		return "its certificate was refused (" + ve.Error() + ")"
	case err != nil && strings.Contains(err.Error(), "x509:"):
		return "its certificate was refused (" + err.Error() + ")"
	}
	return ""
}

// certAdvice names where the trusted CAs came from, for certError's
// message.
func certAdvice(ca string) string {
	if ca == "" {
		return "refused: the relay is not trusted by this system's CAs (for a self-signed relay give its CA with --room-ca FILE)"
	}
	return "refused with the CA file " + ca + " (--room-ca)"
}
