package markers

import (
	"strings"
	"testing"
)

// FuzzReplayJournal: any bytes replay without a panic, and every replayed
// marker is valid and sorted.
func FuzzReplayJournal(f *testing.F) {
	f.Add(`{"op":"add","marker":{"id":"a","kind":"topic","title":"Intro","sample":0,"utc":"2026-11-25T08:00:00Z"}}` + "\n")
	f.Add(`{"op":"add","marker":{"id":"a","kind":"edit","title":"x","sample":5,"end":9}}` + "\n" + `{"op":"update","id":"a","sample":20}` + "\n" + `{"op":"delete","id":"a"}`)
	f.Add("\xef\xbb\xbfgarbage\r\n{\"op\":")
	f.Fuzz(func(t *testing.T, in string) {
		ms, _, err := ReplayJournal(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range ms {
			if err := m.check(); err != nil {
				t.Fatalf("replayed invalid marker: %v", err)
			}
			if i > 0 && ms[i-1].Sample > m.Sample {
				t.Fatal("not sorted")
			}
		}
	})
}
