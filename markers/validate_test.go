package markers

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func codes(is []Issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, i.Code)
	}
	return out
}

func chapterDoc(ms ...Marker) Doc {
	for i := range ms {
		if ms[i].ID == "" {
			ms[i].ID = string(rune('a' + i))
		}
		if ms[i].Kind == "" {
			ms[i].Kind = Topic
		}
	}
	return Doc{Version: DocVersion, Rate: rate, Markers: ms}
}

func ch(title, pos string) Marker { return Marker{Title: title, Sample: at(pos)} }

func TestValidate(t *testing.T) {
	long := strings.Repeat("é", LongTitle+1)
	tests := []struct {
		name     string
		d        Doc
		f        Format
		errors   []string
		warnings []string
	}{
		{"good", sampleDoc(), "", nil, nil},
		{"good youtube", sampleDoc(), FormatYouTube, nil, nil},
		{"no rate", Doc{}, "", []string{CodeBadRate}, nil},
		{"first not at 0", chapterDoc(ch("A", "5"), ch("B", "1:00"), ch("C", "2:00")), "",
			nil, []string{CodeFirstNotZero, CodeYouTubeFirst}},
		{"first not at 0, youtube", chapterDoc(ch("A", "5"), ch("B", "1:00"), ch("C", "2:00")), FormatYouTube,
			[]string{CodeYouTubeFirst}, nil},
		{"first at 0.4 ms is 0 in ms", chapterDoc(ch("A", "0.0004"), ch("B", "1:00"), ch("C", "2:00")), "", nil, nil},
		{"first at 0.9 s is 0:00 on youtube", chapterDoc(ch("A", "0.9"), ch("B", "1:00"), ch("C", "2:00")), FormatYouTube, nil, nil},
		{"duplicate and unsorted", chapterDoc(ch("A", "0"), ch("C", "2:00"), ch("B", "1:00"), ch("B2", "1:00")), "",
			[]string{CodeDuplicateTime}, []string{CodeUnsorted}},
		{"same youtube second", chapterDoc(ch("A", "0"), ch("B", "1:00.2"), ch("C", "1:00.7"), ch("D", "2:00")), FormatYouTube,
			[]string{CodeYouTubeTooShort, CodeDuplicateTime}, []string{CodeShortChapter}},
		// Not the same time elsewhere, but a chapter of half a second.
		{"same youtube second is not the same time elsewhere", chapterDoc(ch("A", "0"), ch("B", "1:00.2"), ch("C", "1:00.7"), ch("D", "2:00")), FormatPSC,
			nil, []string{CodeShortChapter}},
		{"empty and long titles, line breaks", chapterDoc(ch(" ", "0"), ch(long, "1:00"), ch("two\nlines", "2:00")), "",
			[]string{CodeEmptyTitle}, []string{CodeLongTitle, CodeLineBreak}},
		{"past the end", func() Doc {
			d := chapterDoc(ch("A", "0"), ch("B", "1:00"), ch("C", "2:00"), ch("D", "3:00"))
			d.Frames = at("3:00")
			return d
		}(), "", []string{CodePastEnd}, nil},
		{"too few and too short for youtube", chapterDoc(ch("A", "0"), ch("B", "0:09")), FormatYouTube,
			[]string{CodeYouTubeTooFew, CodeYouTubeTooShort}, nil},
		{"too few is a warning elsewhere", chapterDoc(ch("A", "0"), ch("B", "0:09")), "",
			nil, []string{CodeYouTubeTooFew, CodeYouTubeTooShort}},
		{"last chapter too short", func() Doc {
			d := chapterDoc(ch("A", "0"), ch("B", "1:00"), ch("C", "2:00"))
			d.Frames = at("2:05")
			return d
		}(), FormatYouTube, []string{CodeYouTubeTooShort}, nil},
		{"no chapters", chapterDoc(Marker{Kind: Edit, Title: "x"}), "", nil, []string{CodeNoChapters}},
		{"no chapters youtube", chapterDoc(Marker{Kind: Edit, Title: "x"}), FormatYouTube, []string{CodeYouTubeTooFew}, nil},
		{"editor format ignores chapter rules", chapterDoc(ch("", "5"), ch("", "5")), FormatAudacity, nil, nil},
		{"editor format warns past end", func() Doc {
			d := chapterDoc(ch("A", "0"), ch("B", "1:00"))
			d.Frames = at("0:30")
			return d
		}(), FormatReaperCSV, nil, []string{CodePastEnd}},
		{"bad markers", chapterDoc(Marker{ID: "x", Kind: "chapter"}, Marker{ID: "x", Kind: Edit, Sample: 9, End: 3}), FormatPodmark,
			[]string{CodeBadMarker, CodeBadMarker, CodeDuplicateID}, nil},
		{"cue track limit", func() Doc {
			var ms []Marker
			for i := range CUEMaxTracks + 1 {
				ms = append(ms, Marker{ID: NewID(), Kind: Topic, Title: "t", Sample: int64(i) * rate * 20})
			}
			return chapterDoc(ms...)
		}(), FormatCUE, []string{CodeCUETooMany}, nil},
		{"public topic only", func() Doc {
			return chapterDoc(Marker{Kind: Sponsor, Title: "S", Sample: 0}, ch("A", "1:00"), ch("B", "2:00")).Public(Topic)
		}(), "", nil, []string{CodeFirstNotZero, CodeYouTubeFirst, CodeYouTubeTooFew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ValidateFor(tt.d, tt.f)
			if got := codes(r.Errors); !reflect.DeepEqual(got, tt.errors) {
				t.Errorf("errors %v, want %v\n%s", got, tt.errors, r)
			}
			if got := codes(r.Warnings); !reflect.DeepEqual(got, tt.warnings) {
				t.Errorf("warnings %v, want %v\n%s", got, tt.warnings, r)
			}
			if r.OK() != (len(tt.errors) == 0) {
				t.Error("OK() wrong")
			}
		})
	}
}

func TestReportString(t *testing.T) {
	r := Validate(chapterDoc(ch("A", "5"), ch("", "1:00"), ch("C", "2:00")))
	want := `error: 00:01:00.000 "": empty title [empty-title] (fix: title it "Chapter N" (or "Sponsor"))
warning: 00:00:05.000 "A": the first chapter does not start at 0 [first-not-zero] (fix: insert an "Intro" chapter at 0:00)
warning: 00:00:05.000 "A": YouTube needs the first chapter at 0:00 [youtube-first] (fix: insert an "Intro" chapter at 0:00)
`
	if r.String() != want {
		t.Errorf("got\n%s\nwant\n%s", r, want)
	}
	err := (&ValidationError{Format: FormatPSC, Report: r}).Error()
	if !strings.HasPrefix(err, `markers: cannot write psc: 00:01:00.000 "": empty title`) {
		t.Error(err)
	}
}

func titlesAt(d Doc) []string {
	var out []string
	for _, m := range d.Chapters() {
		out = append(out, FormatClock(m.Sample, d.Rate)+" "+m.Title)
	}
	return out
}

func TestFix(t *testing.T) {
	tests := []struct {
		name  string
		d     Doc
		f     Format
		want  []string
		notes int
	}{
		{"intro inserted", chapterDoc(ch("A", "30"), ch("B", "1:00"), ch("C", "2:00")), "",
			[]string{"0:00 Intro", "0:30 A", "1:00 B", "2:00 C"}, 1},
		{"an Intro chapter is moved, not doubled", chapterDoc(ch("intro", "12"), ch("B", "1:00"), ch("C", "2:00")), FormatYouTube,
			[]string{"0:00 intro", "1:00 B", "2:00 C"}, 1},
		{"titles filled", chapterDoc(ch("", "0"), Marker{Kind: Sponsor, Sample: at("1:00")}, ch("", "2:00")), "",
			[]string{"0:00 Chapter 1", "1:00 Sponsor", "2:00 Chapter 3"}, 3},
		{"duplicates keep the later", chapterDoc(ch("A", "0"), ch("B", "1:00"), ch("B2", "1:00"), ch("C", "2:00")), "",
			[]string{"0:00 A", "1:00 B2", "2:00 C"}, 1},
		{"past end dropped", func() Doc {
			d := chapterDoc(ch("A", "0"), ch("B", "1:00"), ch("Z", "5:00"))
			d.Frames = at("4:00")
			return d
		}(), "", []string{"0:00 A", "1:00 B"}, 1},
		{"youtube short merged", chapterDoc(ch("A", "0"), ch("B", "1:00"), ch("B'", "1:05"), ch("C", "2:00"), ch("D", "3:00")), FormatYouTube,
			[]string{"0:00 A", "1:05 B'", "2:00 C", "3:00 D"}, 1},
		{"youtube short first: next moves to 0", chapterDoc(ch("A", "3"), ch("B", "0:08"), ch("C", "2:00"), ch("D", "3:00")), FormatYouTube,
			[]string{"0:00 B", "2:00 C", "3:00 D"}, 3},
		{"editor markers untouched", chapterDoc(ch("A", "0"), Marker{Kind: Edit, Sample: at("0:01")}, ch("B", "1:00"), ch("C", "2:00")), FormatYouTube,
			[]string{"0:00 A", "1:00 B", "2:00 C"}, 0},
		{"a chapter of 5 ms gives way to the later", chapterDoc(ch("A", "0"), ch("Cold open", "1:00"), ch("Studios", "1:00.005"), ch("C", "2:00")), FormatPSC,
			[]string{"0:00 A", "1:00 Studios", "2:00 C"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes := Fix(tt.d, tt.f)
			if titles := titlesAt(got); !reflect.DeepEqual(titles, tt.want) {
				t.Errorf("chapters %q, want %q (notes %q)", titles, tt.want, notes)
			}
			if len(notes) != tt.notes {
				t.Errorf("notes %q, want %d", notes, tt.notes)
			}
			if r := ValidateFor(got, tt.f); !r.OK() {
				t.Errorf("still invalid after Fix:\n%s", r)
			}
			if len(tt.d.Markers) > 0 && slices.ContainsFunc(tt.d.Markers, func(m Marker) bool { return m.Kind == Edit }) &&
				!slices.ContainsFunc(got.Markers, func(m Marker) bool { return m.Kind == Edit }) {
				t.Error("editor marker dropped")
			}
		})
	}
	// Fix does not change its input.
	d := chapterDoc(ch("", "30"), ch("B", "1:00"))
	Fix(d, "")
	if d.Markers[0].Title != "" || len(d.Markers) != 2 {
		t.Error("input changed")
	}
	// What Fix cannot repair stays an error for Write.
	few, _ := Fix(chapterDoc(ch("A", "0"), ch("B", "1:00")), FormatYouTube)
	if err := Write(&strings.Builder{}, FormatYouTube, few); !errors.Is(err, ErrInvalid) {
		t.Errorf("Write youtube with 2 chapters: %v", err)
	}
}

func TestFoldShort(t *testing.T) {
	hidden := ch("artwork", "2:00.300")
	hidden.Hidden = true
	d := chapterDoc(
		ch("A", "0"),
		// A burst of three presses within a second: the last one stays.
		ch("Cold open", "1:00"), ch("Cold open", "1:00.005"), ch("Studios", "1:00.900"),
		// Exactly a second long: kept.
		ch("B", "2:00"),
		// A hidden chapter and an edit within a second of their
		// neighbours: neither is a listener's chapter, both kept.
		hidden, Marker{Kind: Edit, Sample: at("2:00.500")},
		ch("C", "2:01"),
		// Pressed half a second before the audio ends.
		ch("Bye", "2:59.500"),
	)
	d.Frames = at("3:00")
	got, notes := FoldShort(d)
	want := []string{"0:00 A", "1:00 Studios", "2:00 B", "2:00 artwork", "2:01 C"}
	if titles := titlesAt(got); !reflect.DeepEqual(titles, want) {
		t.Errorf("chapters %q, want %q", titles, want)
	}
	if !slices.ContainsFunc(got.Markers, func(m Marker) bool { return m.Kind == Edit }) {
		t.Error("editor marker dropped")
	}
	wantNotes := []string{
		`00:01:00.000 "Cold open": dropped, "Cold open" starts 5 ms later (a chapter shorter than 1s)`,
		`00:01:00.005 "Cold open": dropped, "Studios" starts 895 ms later (a chapter shorter than 1s)`,
		`00:02:59.500 "Bye": dropped, the audio ends 500 ms later (a chapter shorter than 1s)`,
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
	if r := Validate(got); slices.ContainsFunc(r.Warnings, func(i Issue) bool { return i.Code == CodeShortChapter }) {
		t.Errorf("a short chapter left:\n%s", r)
	}
	if r := Validate(d); len(slices.DeleteFunc(slices.Clone(r.Warnings), func(i Issue) bool { return i.Code != CodeShortChapter })) != 3 {
		t.Errorf("Validate of the input: want 3 short-chapter warnings:\n%s", r)
	}
	if len(d.Markers) != 9 || d.Markers[1].Title != "Cold open" {
		t.Error("input changed")
	}
	// Only the public kinds are chapters: with topics alone public, a
	// sponsor a moment after a topic is the editor's and the topic stays.
	s := chapterDoc(ch("A", "0"), ch("B", "1:00"), Marker{Kind: Sponsor, Title: "S", Sample: at("1:00.2")}, ch("C", "2:00")).Public(Topic, Sponsor)
	if got, _ := FoldShort(s); len(got.Markers) != 3 {
		t.Errorf("topic and sponsor public: %q", titlesAt(got))
	}
	s = chapterDoc(ch("A", "0"), ch("B", "1:00"), Marker{Kind: Sponsor, Title: "S", Sample: at("1:00.2")}, ch("C", "2:00")).WithPublic(Topic)
	if got, notes := FoldShort(s); len(got.Markers) != 4 || len(notes) != 0 {
		t.Errorf("topics alone public: %q %q", titlesAt(got), notes)
	}
}

func TestSanitize(t *testing.T) {
	slugs := map[string]string{
		"Intro":                       "intro",
		"Ünïcödé & <tags> 日本語":        "unicode-tags",
		"日本語":                         "",
		"  --Hello,   World!-- ":      "hello-world",
		"Ça va? Très bien.":           "ca-va-tres-bien",
		strings.Repeat("abcdefgh", 9): strings.Repeat("abcdefgh", 6),
		"../../etc/passwd":            "etc-passwd",
	}
	for in, want := range slugs {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	names := map[string]string{
		"Intro":                 "Intro",
		"a/b\\c:d*e?f\"g<h>i|":  "a_b_c_d_e_f_g_h_i_",
		"日本語 ✓":                 "日本語 ✓",
		"..":                    "untitled",
		"":                      "untitled",
		" .hidden. ":            "hidden",
		"CON":                   "_CON",
		"nul.txt":               "_nul.txt",
		"tab\there\n":           "tab_here_",
		strings.Repeat("é", 50): strings.Repeat("é", 40),
	}
	for in, want := range names {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}
