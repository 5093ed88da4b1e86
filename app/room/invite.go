package room

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

// Invitation is a new member's credentials: an nkey seed to keep in a
// --creds file, or (token mode) a link carrying user and password.
type Invitation struct {
	Member Member
	Seed   []byte // nkey mode: the user seed (secret)
	Link   Link   // the room link to hand out (with the password in token mode)
}

// Invite makes credentials for host in l's room and adds them to a.
// With token true they are a user and a random password carried in the link
// (quick setups); otherwise an nkey pair whose seed goes in a --creds file.
func Invite(a *Auth, l Link, host string, role Role, token bool) (Invitation, error) {
	if err := CheckName("host", host); err != nil {
		return Invitation{}, err
	}
	m := Member{Show: l.Show, Episode: l.Episode, Host: host, Role: role}
	for _, o := range a.Members {
		if o.Show == m.Show && o.Episode == m.Episode && o.Host == host && o.Role == role {
			return Invitation{}, fmt.Errorf("%w: %s is already invited to %s/%s as %s", ErrAuth, host, m.Show, m.Episode, role)
		}
	}
	inv := Invitation{Link: Link{TLS: l.TLS, Host: l.Host, Port: l.Port, Show: l.Show, Episode: l.Episode}}
	if token {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Invitation{}, fmt.Errorf("room: %w", err)
		}
		pw := base64.RawURLEncoding.EncodeToString(b[:])
		user := host + "-" + l.Show + "-" + l.Episode
		if len(user) > 64 {
			user = user[:64]
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return Invitation{}, fmt.Errorf("room: %w", err)
		}
		m.User, m.Bcrypt = user, string(h)
		inv.Link.User, inv.Link.Password = user, pw
	} else {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return Invitation{}, fmt.Errorf("room: %w", err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return Invitation{}, fmt.Errorf("room: %w", err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return Invitation{}, fmt.Errorf("room: %w", err)
		}
		m.Nkey, inv.Seed = pub, seed
	}
	if a.Version == 0 {
		a.Version = AuthVersion
	}
	a.Members = append(a.Members, m)
	if err := a.check(); err != nil {
		a.Members = a.Members[:len(a.Members)-1]
		return Invitation{}, err
	}
	inv.Member = m
	return inv, nil
}
