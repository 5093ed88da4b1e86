package room

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ErrLink reports a room link that cannot be used.
var ErrLink = errors.New("room: bad room link")

// DefaultPort is the NATS client port used when a link names none.
const DefaultPort = 4222

// Link is a parsed room link: nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE
// (tls:// for TLS). TOKEN is either a plain NATS token or USER:PASSWORD (the
// per-host token mode of `podmark room invite --token`).
type Link struct {
	TLS      bool
	User     string // with Password: per-host token mode
	Password string
	Token    string // a plain NATS token
	Host     string
	Port     int
	Show     string
	Episode  string
}

// namePat is what a show, episode or host name may be: it becomes part of
// NATS subjects, stream and bucket names, and file names.
var namePat = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// CheckName reports whether s can name a show, episode or host in a room.
func CheckName(what, s string) error {
	if !namePat.MatchString(s) || strings.Contains(s, "__") {
		return fmt.Errorf("%w: %s %q: use 1 to 64 letters, digits, '-' or '_' (no \"__\"), starting with a letter or digit", ErrLink, what, s)
	}
	return nil
}

// ParseLink parses a room link. Errors wrap ErrLink and say what is wrong.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Link{}, fmt.Errorf("%w: empty (want nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE)", ErrLink)
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error repeats the link with its secret
		}
		return Link{}, fmt.Errorf("%w: %q: %v", ErrLink, redact(s), err)
	}
	var l Link
	switch strings.ToLower(u.Scheme) {
	case "nats":
	case "tls":
		l.TLS = true
	case "":
		return Link{}, fmt.Errorf("%w: %q: no scheme (want nats:// or tls://)", ErrLink, s)
	default:
		return Link{}, fmt.Errorf("%w: %q: scheme %q (want nats:// or tls://)", ErrLink, s, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return Link{}, fmt.Errorf("%w: %q: no server host (want %s://HOST[:PORT]/SHOW/EPISODE)", ErrLink, s, u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Link{}, fmt.Errorf("%w: %q: unexpected ?query or #fragment", ErrLink, s)
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			l.User, l.Password = u.User.Username(), pw
			if l.User == "" || pw == "" {
				return Link{}, fmt.Errorf("%w: %q: empty user or password in USER:PASSWORD@", ErrLink, redact(s))
			}
		} else {
			l.Token = u.User.Username()
			if l.Token == "" {
				return Link{}, fmt.Errorf("%w: %q: empty token before '@'", ErrLink, s)
			}
		}
	}
	l.Host = u.Hostname()
	if l.Host == "" {
		return Link{}, fmt.Errorf("%w: %q: no server host", ErrLink, redact(s))
	}
	l.Port = DefaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Link{}, fmt.Errorf("%w: %q: port %q (want 1..65535)", ErrLink, redact(s), p)
		}
		l.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Link{}, fmt.Errorf("%w: %q: empty port after ':'", ErrLink, redact(s))
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" {
		return Link{}, fmt.Errorf("%w: %q: path %q: want /SHOW/EPISODE", ErrLink, redact(s), u.Path)
	}
	l.Show, l.Episode = parts[0], parts[1]
	if err := CheckName("show", l.Show); err != nil {
		return Link{}, err
	}
	if err := CheckName("episode", l.Episode); err != nil {
		return Link{}, err
	}
	return l, nil
}

// redact hides a password or token in s for error messages.
func redact(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s, "@"); j > i {
			return s[:i+3] + "***" + s[j:]
		}
	}
	return s
}

// ServerURL is the URL to dial, without credentials.
func (l Link) ServerURL() string {
	scheme := "nats"
	if l.TLS {
		scheme = "tls"
	}
	return scheme + "://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// String is the link with any secret hidden, for messages and logs.
func (l Link) String() string {
	s := l.ServerURL()
	if l.User != "" || l.Token != "" {
		i := strings.Index(s, "://") + 3
		who := "***"
		if l.User != "" {
			who = l.User + ":***"
		}
		s = s[:i] + who + "@" + s[i:]
	}
	return s + "/" + l.Show + "/" + l.Episode
}

// Full is the link with its secret, as a host pastes it.
func (l Link) Full() string {
	s := l.ServerURL()
	i := strings.Index(s, "://") + 3
	switch {
	case l.User != "":
		s = s[:i] + url.UserPassword(l.User, l.Password).String() + "@" + s[i:]
	case l.Token != "":
		s = s[:i] + url.User(l.Token).String() + "@" + s[i:]
	}
	return s + "/" + l.Show + "/" + l.Episode
}

// Loopback reports whether the link's server is on this machine.
func (l Link) Loopback() bool { return isLoopback(l.Host) }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SafeHost turns a session's host name into a room host name: characters a
// room name may not hold become '-', and it is cut to 64 bytes.
func SafeHost(h string) string {
	b := []byte(h)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	s := strings.ReplaceAll(strings.TrimLeft(string(b), "-_"), "__", "_-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "host"
	}
	return s
}
