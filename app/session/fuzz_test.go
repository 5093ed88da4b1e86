package session

import (
	"testing"
)

// FuzzParseMeta feeds arbitrary bytes as session.json: an error or a
// checked Meta, never a panic.
func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"rate":48000,"bits":"24","state":"recording","tracks":[{"file":"tracks/a-1.wav","channel":1}]}`))
	f.Add([]byte(`{"format_version":2,"rate":48000}`))
	f.Add([]byte(`{"format_version":1,"rate":-1}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMeta(b, "session.json")
		if err != nil {
			return
		}
		if m.FormatVersion < 1 || m.FormatVersion > FormatVersion || m.Rate <= 0 {
			t.Fatalf("accepted %+v", m)
		}
		_ = m.Duration()
		_, _ = m.Format()
	})
}
