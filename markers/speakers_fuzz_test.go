package markers

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzLabelTranscript: any transcript the readers accept is labelled with
// speakers, split, and written in every output format; the SRT, WebVTT and
// JSON read back with the same cues and (WebVTT, JSON) the same speakers.
func FuzzLabelTranscript(f *testing.F) {
	exts := []string{".txt", ".srt", ".vtt", ".json", ""}
	f.Add(uint8(1), []byte("1\n00:00:01,000 --> 00:00:08,000\nHello there. I answer now.\n\n2\n00:00:09,000 --> 00:00:09,400\nYeah.\n"))
	f.Add(uint8(2), []byte("WEBVTT\n\n00:01.000 --> 00:07.000\n<v Someone>x &amp; y. z\n\n00:06.500 --> 00:12.000\n<v.loud B>w\n"))
	f.Add(uint8(3), []byte(`{"version":"1.0.0","segments":[{"startTime":1,"endTime":2,"body":"x.","speaker":"A"},{"startTime":2,"endTime":9,"body":"y. z w.","speaker":"A"}]}`))
	f.Add(uint8(0), []byte("00:00:01 one. two.\n\n00:00:07 three\n"))
	d := speakerDoc()
	turns := speakerTurns()
	turns[5].Speaker = "Carol" // names that survive every format
	f.Fuzz(func(t *testing.T, ext uint8, in []byte) {
		cues, err := ReadTranscript(bytes.NewReader(in), "t"+exts[int(ext)%len(exts)])
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not a syntax error", err)
			}
			return
		}
		for _, split := range []bool{false, true} {
			labelled := LabelCues(d, cues, turns, LabelOptions{Split: split})
			if len(labelled) < len(cues) {
				t.Fatalf("%d cues labelled from %d", len(labelled), len(cues))
			}
			for _, format := range []string{"md", "html", "vtt", "srt", "json"} {
				var buf bytes.Buffer
				if err := WriteCues(&buf, format, d, labelled); err != nil {
					t.Fatal(err)
				}
				if format != "vtt" && format != "json" {
					continue
				}
				back, err := ReadTranscript(bytes.NewReader(buf.Bytes()), "back."+format)
				if err != nil {
					if len(labelled) > 0 && format == "vtt" {
						t.Fatalf("our WebVTT does not read back: %v\n%s", err, buf.Bytes())
					}
					continue
				}
				if format == "vtt" && len(back) != len(labelled) {
					t.Fatalf("%d cues written, %d read back\n%s", len(labelled), len(back), buf.Bytes())
				}
				if format == "vtt" {
					for i, c := range back {
						if c.Speaker != labelled[i].Speaker && labelled[i].Speaker != "" && isPlainName(labelled[i].Speaker) {
							t.Fatalf("cue %d: speaker %q read back as %q", i, labelled[i].Speaker, c.Speaker)
						}
					}
				}
			}
		}
	})
}

func isPlainName(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}
