package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// AuthVersion is the version of the --auth file format.
const AuthVersion = 1

// Role is what a room member may do.
type Role string

// The roles.
const (
	RoleHost   Role = "host"   // publishes its own markers and presence, advances the rundown
	RoleEditor Role = "editor" // reads everything, publishes nothing of the room's
)

// Member is one credential of the --auth file: a host or an editor of one
// room, with an nkey (public key) or a token (user + bcrypt hash).
type Member struct {
	Show    string `json:"show"`
	Episode string `json:"episode"`
	Host    string `json:"host"` // the host name it records as; for an editor, a name for logs
	Role    Role   `json:"role"`
	Nkey    string `json:"nkey,omitempty"`            // public user nkey (U...)
	User    string `json:"user,omitempty"`            // token mode: user name
	Bcrypt  string `json:"password_bcrypt,omitempty"` // token mode: bcrypt of the password
}

// Auth is the --auth file: every credential the relay accepts.
type Auth struct {
	Version int      `json:"version"`
	Members []Member `json:"members"`
}

// ErrAuth reports an --auth file that cannot be used.
var ErrAuth = errors.New("room: bad auth file")

// ReadAuth reads and checks an --auth file. A missing file is an empty Auth
// (for `podmark room invite` to start one).
func ReadAuth(path string) (*Auth, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Auth{Version: AuthVersion}, err
	}
	if err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	var a Auth
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrAuth, path, err)
	}
	if err := a.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &a, nil
}

// WriteAuth writes a to path (mode 0600) through a temporary file.
func WriteAuth(path string, a *Auth) error {
	if err := a.check(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}

func (a *Auth) check() error {
	if a.Version != AuthVersion {
		return fmt.Errorf("%w: version %d (want %d)", ErrAuth, a.Version, AuthVersion)
	}
	seen := map[string]bool{}
	for i, m := range a.Members {
		where := fmt.Sprintf("member %d", i+1)
		for _, c := range []struct{ what, v string }{{"show", m.Show}, {"episode", m.Episode}, {"host", m.Host}} {
			if err := CheckName(c.what, c.v); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrAuth, where, err)
			}
		}
		if m.Role != RoleHost && m.Role != RoleEditor {
			return fmt.Errorf("%w: %s: role %q (want host or editor)", ErrAuth, where, m.Role)
		}
		switch {
		case m.Nkey != "" && m.User == "":
			if !strings.HasPrefix(m.Nkey, "U") || len(m.Nkey) != 56 {
				return fmt.Errorf("%w: %s: nkey %q is not a user public key", ErrAuth, where, m.Nkey)
			}
		case m.Nkey == "" && m.User != "" && m.Bcrypt != "":
			if err := CheckName("user", m.User); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrAuth, where, err)
			}
		default:
			return fmt.Errorf("%w: %s: give either nkey, or user and password_bcrypt", ErrAuth, where)
		}
		key := m.Nkey + "/" + m.User
		if seen[key] {
			return fmt.Errorf("%w: %s: credential used twice", ErrAuth, where)
		}
		seen[key] = true
	}
	return nil
}

// Rooms lists the rooms the file names, once each.
func (a *Auth) Rooms() []Names {
	var out []Names
	seen := map[Names]bool{}
	for _, m := range a.Members {
		n := Names{Show: m.Show, Episode: m.Episode}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// Permissions are what m may publish and subscribe to: a host only its own
// markers and presence (and the rundown, clock requests and the JetStream
// calls its consumers need) and its own hand-off bucket, an editor nothing
// of the room's but its pull announcements. An editor reads no hand-off
// bucket this way: Auth.Permissions lets it read every host's of its room.
func (m Member) Permissions() *server.Permissions { return m.permissions(nil) }

// Permissions are m's permissions on a relay serving a: as
// Member.Permissions, and for an editor, reading the hand-off bucket of
// every host of its room that a names.
func (a *Auth) Permissions(m Member) *server.Permissions {
	var hosts []string
	if m.Role == RoleEditor {
		for _, o := range a.Members {
			if o.Role == RoleHost && o.Show == m.Show && o.Episode == m.Episode {
				hosts = append(hosts, o.Host)
			}
		}
	}
	return m.permissions(hosts)
}

// bucketRead are the JetStream calls that read an object store bucket
// (stream info, direct gets of an object's info, the ordered consumers
// that list and fetch objects, and their flow control).
func bucketRead(bucket string) []string {
	st := "OBJ_" + bucket
	return []string{
		jsAPI + ".STREAM.INFO." + st,
		jsAPI + ".DIRECT.GET." + st, jsAPI + ".DIRECT.GET." + st + ".>", jsAPI + ".STREAM.MSG.GET." + st,
		jsAPI + ".CONSUMER.CREATE." + st, jsAPI + ".CONSUMER.CREATE." + st + ".>",
		jsAPI + ".CONSUMER.INFO." + st + ".>", jsAPI + ".CONSUMER.DELETE." + st + ".>",
		jsAPI + ".CONSUMER.MSG.NEXT." + st + ".>",
		"$JS.FC." + st + ".>",
	}
}

// bucketWrite are the calls that put objects into a bucket (chunks and
// info messages, and the purge of a replaced object's old chunks).
func bucketWrite(bucket string) []string {
	return []string{"$O." + bucket + ".>", jsAPI + ".STREAM.PURGE.OBJ_" + bucket}
}

func (m Member) permissions(readBuckets []string) *server.Permissions {
	n := Names{Show: m.Show, Episode: m.Episode}
	st, kv := n.Stream(), n.kvStream()
	pub := []string{
		jsAPI + ".INFO",
		jsAPI + ".STREAM.INFO." + st, jsAPI + ".STREAM.INFO." + kv,
		jsAPI + ".CONSUMER.CREATE." + st + ".>", jsAPI + ".CONSUMER.CREATE." + kv + ".>",
		jsAPI + ".CONSUMER.DURABLE.CREATE." + st + ".>",
		jsAPI + ".CONSUMER.INFO." + st + ".>", jsAPI + ".CONSUMER.INFO." + kv + ".>",
		jsAPI + ".CONSUMER.DELETE." + st + ".>", jsAPI + ".CONSUMER.DELETE." + kv + ".>",
		jsAPI + ".CONSUMER.MSG.NEXT." + st + ".>", jsAPI + ".CONSUMER.MSG.NEXT." + kv + ".>",
		jsAPI + ".DIRECT.GET." + kv + ".>", jsAPI + ".STREAM.MSG.GET." + kv,
		jsAck + "." + st + ".>", jsAck + "." + kv + ".>",
	}
	if m.Role == RoleHost {
		pub = append(pub, n.Markers(m.Host), n.Presence(m.Host), n.AllClock(), n.kvSubjects())
		pub = append(pub, bucketRead(n.UploadBucket(m.Host))...)
		pub = append(pub, bucketWrite(n.UploadBucket(m.Host))...)
	} else {
		// STREAM.NAMES: pull finds the room's hand-off buckets by listing
		// the relay's stream names (names only, no contents).
		pub = append(pub, n.Pulled(m.Host), jsAPI+".STREAM.NAMES")
		for _, h := range readBuckets {
			pub = append(pub, bucketRead(n.UploadBucket(h))...)
		}
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{n.All(), "_INBOX.>", n.kvSubjects()}},
		// Answers to clock requests go to the asker's inbox.
		Response: &server.ResponsePermission{MaxMsgs: 1, Expires: 5 * time.Second},
	}
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("room: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("room: %w", err)
	}
	return nil
}
