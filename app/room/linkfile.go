package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// LinkFile is where `podmark record --room` notes, in the session folder,
// which room the session was recorded in, so that `podmark upload DIR`
// needs no --room. It holds no secret: a link's token or password is left
// out (upload then needs --room again, or --creds).
const LinkFile = "room/link.json"

// SessionLink is the content of LinkFile.
type SessionLink struct {
	V     int    `json:"v"`
	Link  string `json:"link"`            // the room link without its secret
	Host  string `json:"host"`            // this host's name in the room
	Creds string `json:"creds,omitempty"` // the --creds file used (absolute path)
	CA    string `json:"ca,omitempty"`    // the --room-ca file used (absolute path)
	// Secret reports that the link carried a token or password, left out.
	Secret bool `json:"secret,omitempty"`
}

// WriteSessionLink writes LinkFile into the session folder dir.
func WriteSessionLink(dir string, l Link, host, creds, ca string) error {
	sl := SessionLink{V: Version, Host: host, Secret: l.Token != "" || l.User != ""}
	bare := Link{TLS: l.TLS, Host: l.Host, Port: l.Port, Show: l.Show, Episode: l.Episode}
	sl.Link = bare.Full()
	for _, p := range []struct {
		in  string
		out *string
	}{{creds, &sl.Creds}, {ca, &sl.CA}} {
		if p.in != "" {
			abs, err := filepath.Abs(p.in)
			if err != nil {
				return fmt.Errorf("room: %w", err)
			}
			*p.out = abs
		}
	}
	b, err := json.MarshalIndent(sl, "", "  ")
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, RecordDir), 0o755); err != nil {
		return fmt.Errorf("room: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, filepath.FromSlash(LinkFile)), append(b, '\n'), 0o644)
}

// ReadSessionLink reads LinkFile from the session folder dir; an error
// wrapping os.ErrNotExist when the session was not recorded in a room.
func ReadSessionLink(dir string) (SessionLink, error) {
	p := filepath.Join(dir, filepath.FromSlash(LinkFile))
	b, err := os.ReadFile(p)
	if err != nil {
		return SessionLink{}, fmt.Errorf("room: %w", err)
	}
	return parseSessionLink(b, p)
}

// parseSessionLink decodes and checks LinkFile's content b, read from p.
func parseSessionLink(b []byte, p string) (SessionLink, error) {
	if len(b) > 64<<10 {
		return SessionLink{}, fmt.Errorf("room: %s: %d bytes, too long", p, len(b))
	}
	var sl SessionLink
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&sl); err != nil {
		return SessionLink{}, fmt.Errorf("room: %s: %w", p, err)
	}
	if _, err := ParseLink(sl.Link); err != nil {
		return SessionLink{}, fmt.Errorf("room: %s: %w", p, err)
	}
	if err := CheckName("host", sl.Host); err != nil {
		return SessionLink{}, fmt.Errorf("room: %s: %w", p, err)
	}
	if sl.V < 1 || sl.V > Version {
		return SessionLink{}, fmt.Errorf("room: %s: version %d", p, sl.V)
	}
	return sl, nil
}
