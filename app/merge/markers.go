package merge

import (
	"math"
	"sort"
	"strings"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// mapMarkers moves every host's markers onto the merged timeline, keeping
// their author, and folds near-duplicates: markers of the same kind (not
// glitches) from different hosts within dup frames become one, at the
// earlier position, with both titles and both authors.
func mapMarkers(ins []*input, toMaster []func(float64) float64, t0 float64, rate int, dup int64) ([]markers.Marker, MarkerReport) {
	var all []markers.Marker
	for i, in := range ins {
		R := float64(in.meta.Rate)
		place := func(f int64, m markers.Marker) int64 {
			s := in.tl.stream(f, func(p session.Pause) bool {
				return !p.EndUTC.IsZero() && !m.UTC.Before(p.EndUTC)
			})
			return int64(math.Round((toMaster[i](float64(s)/R) - t0) * float64(rate)))
		}
		for _, m := range in.doc.Markers {
			nm := m
			nm.Sample = max(0, place(m.Sample, m))
			if m.End > 0 {
				nm.End = max(nm.Sample, place(m.End, m))
			}
			if nm.Author == "" {
				nm.Author = in.meta.Host
			}
			all = append(all, nm)
		}
	}
	rep := MarkerReport{In: len(all)}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Sample < all[b].Sample })
	var out []markers.Marker
	authors := map[int][]string{} // index in out → authors folded in
	for _, m := range all {
		merged := false
		if m.Kind != markers.Glitch {
			for k := len(out) - 1; k >= 0 && m.Sample-out[k].Sample <= dup; k-- {
				o := &out[k]
				if o.Kind != m.Kind || contains(authors[k], m.Author) {
					continue
				}
				switch {
				case o.Title == "":
					o.Title = m.Title
				case m.Title != "" && m.Title != o.Title:
					o.Title += " / " + m.Title
				}
				if o.URL == "" {
					o.URL = m.URL
				}
				o.End = max(o.End, m.End)
				authors[k] = append(authors[k], m.Author)
				o.Author = strings.Join(authors[k], ", ")
				merged = true
				rep.Merged++
				break
			}
		}
		if !merged {
			authors[len(out)] = []string{m.Author}
			out = append(out, m)
		}
	}
	rep.Out = len(out)
	return out, rep
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
