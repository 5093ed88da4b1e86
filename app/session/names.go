package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

var processStart = time.Now()

// SanitizeName makes s safe as part of a file name on every common file
// system: letters and digits are kept, runs of anything else become one '-',
// and the result is at most 40 bytes, shortened on a word boundary where
// one is near (a single word too long is cut); it is a name Windows accepts
// too (WindowsSafeName: no device name like CON). It returns fallback when
// nothing is left.
func SanitizeName(s, fallback string) string {
	var b strings.Builder
	dash := false
	gap := false // a separator since the last letter kept
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			if b.Len()+len(string(r)) > 40 {
				if cut := strings.LastIndexByte(b.String(), '-'); !gap && cut >= 20 {
					return WindowsSafeName(b.String()[:cut], fallback) // not mid-word
				}
				break
			}
			b.WriteRune(unicode.ToLower(r))
			dash, gap = false, false
			continue
		}
		gap = b.Len() > 0
		if !dash && b.Len() > 0 && b.Len() < 40 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return fallback
	}
	return WindowsSafeName(out, fallback)
}

// DefaultHost is the host name used when none is given: the machine's name.
func DefaultHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "host"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// TrackFile returns the slash-separated path, relative to the session folder,
// of the mono track for channel ch (from 1): tracks/<host>-<ch>.wav.
func TrackFile(host string, ch int) string {
	return TracksDir + "/" + SanitizeName(host, "host") + "-" + fmt.Sprint(ch) + ".wav"
}

// DefaultDirName returns a folder name inside root for a new session that
// does not exist yet: root/2006-01-02_1504-title (local time of t), with -2,
// -3... appended when taken. It does not create anything.
func DefaultDirName(root, title string, t time.Time) string {
	base := t.Format("2006-01-02_1504")
	if s := SanitizeName(title, ""); s != "" {
		base += "-" + s
	}
	name := filepath.Join(root, base)
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name
		}
		name = filepath.Join(root, fmt.Sprintf("%s-%d", base, i))
	}
}

// checkOutDir verifies that dir does not exist or is an empty folder, and
// reports whether it exists.
func checkOutDir(dir string) (exists bool, err error) {
	if dir == "" {
		return false, fmt.Errorf("%w: no session folder given", ErrConfig)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		parent := filepath.Dir(filepath.Clean(dir))
		pfi, perr := os.Stat(parent)
		if perr != nil {
			return false, fmt.Errorf("%w: session folder %q: parent: %v", ErrConfig, dir, perr)
		}
		if !pfi.IsDir() {
			return false, fmt.Errorf("%w: session folder %q: parent %q is not a folder", ErrConfig, dir, parent)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: session folder %q: %v", ErrConfig, dir, err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%w: session folder %q exists and is not a folder", ErrConfig, dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("%w: session folder %q: %v", ErrConfig, dir, err)
	}
	if len(ents) > 0 {
		return true, fmt.Errorf("%w: session folder %q is not empty", ErrConfig, dir)
	}
	return true, nil
}
