package export

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/podmark/podmark/markers"
)

// The overview's geometry. Its size is WaveformSize(tracks).
const (
	waveWidth   = 1600
	waveMargin  = 12  // left and right
	waveNameW   = 120 // track name column
	waveTitleH  = 22
	waveLabelH  = 14 // one row of marker labels
	waveLabelRs = 3  // rows of marker labels, staggered to avoid overlaps
	waveTrackH  = 110
	waveGap     = 6
	waveRulerH  = 26
	waveLegendH = 20
)

// WaveformSize returns the width and height of the overview PNG of a session
// with the given number of tracks.
func WaveformSize(tracks int) (int, int) {
	return waveWidth, waveTitleH + waveLabelRs*waveLabelH + tracks*(waveTrackH+waveGap) + waveRulerH + waveLegendH
}

// waveCols is the number of peak columns the mix pass gathers.
func waveCols() int { return waveWidth - 2*waveMargin - waveNameW }

// KindColor is the colour a marker kind is drawn in (glitches red).
var KindColor = map[string]color.RGBA{
	"topic":   {0x1f, 0x6f, 0xd1, 0xff}, // blue
	"sponsor": {0x1a, 0x9e, 0x4a, 0xff}, // green
	"edit":    {0xd9, 0x7a, 0x00, 0xff}, // orange
	"note":    {0x80, 0x5a, 0xc8, 0xff}, // violet
	"glitch":  {0xe0, 0x1b, 0x1b, 0xff}, // red
}

var kindOrder = []string{"topic", "sponsor", "edit", "note", "glitch"}

// waveMarker is a marker as the overview draws it.
type waveMarker struct {
	Kind, Title string
	Start, End  int64 // frames; End 0 for a point
}

var (
	colBG     = color.RGBA{0xfa, 0xfa, 0xf7, 0xff}
	colTrack  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colWave   = color.RGBA{0x3a, 0x4a, 0x5c, 0xff}
	colAxis   = color.RGBA{0xc8, 0xcc, 0xd0, 0xff}
	colText   = color.RGBA{0x20, 0x24, 0x28, 0xff}
	colRuler  = color.RGBA{0x60, 0x66, 0x6c, 0xff}
	faceAscnt = 11
)

// renderWaveform draws each track's waveform on one time axis, the markers
// labelled and coloured by kind (glitches red), and a time ruler. figs
// (may be short or nil) are lines written under each track's name: its
// loudness figures.
func renderWaveform(w io.Writer, title string, names []string, figs [][]string, pk []peaks, frames int64, rate int, ms []waveMarker) error {
	v := newWaveView(len(names), frames, rate)
	v.drawTitle(title, len(names))
	for i, name := range names {
		var fig []string
		if i < len(figs) {
			fig = figs[i]
		}
		v.drawTrack(i, name, fig, pk[i])
	}
	bottom := v.top + len(names)*(waveTrackH+waveGap) - waveGap
	drawMarkers(v.img, ms, v.xOf, v.top, bottom)
	v.drawRuler(bottom + 4)
	v.drawLegend()
	if err := png.Encode(w, v.img); err != nil {
		return fmt.Errorf("export: waveform: %w", err)
	}
	return nil
}

// waveView is the overview being drawn and its time axis.
type waveView struct {
	img      *image.RGBA
	W, H     int
	x0, cols int // the time axis: its left edge and width in pixels
	top      int // the first track's top
	frames   int64
	rate     int
	dur      time.Duration
}

func newWaveView(tracks int, frames int64, rate int) *waveView {
	W, H := WaveformSize(tracks)
	v := &waveView{img: image.NewRGBA(image.Rect(0, 0, W, H)), W: W, H: H, x0: waveMargin + waveNameW, cols: waveCols(),
		top: waveTitleH + waveLabelRs*waveLabelH, frames: frames, rate: rate,
		dur: time.Duration(float64(frames) / float64(rate) * float64(time.Second))}
	fill(v.img, v.img.Bounds(), colBG)
	return v
}

// xOf is the x of frame f.
func (v *waveView) xOf(f int64) int {
	if v.frames <= 0 {
		return v.x0
	}
	return v.x0 + int(float64(f)*float64(v.cols)/float64(v.frames))
}

func (v *waveView) drawTitle(title string, tracks int) {
	noun := "tracks"
	if tracks == 1 {
		noun = "track"
	}
	text(v.img, waveMargin, 4, colText, fmt.Sprintf("%s  (%s, %d Hz, %d %s)", title, fmtClock(v.dur, true), v.rate, tracks, noun))
}

// drawTrack draws track i: its name and figures on the left, its peaks.
func (v *waveView) drawTrack(i int, name string, fig []string, pk peaks) {
	x0, cols := v.x0, v.cols
	y := v.top + i*(waveTrackH+waveGap)
	fill(v.img, image.Rect(x0, y, x0+cols, y+waveTrackH), colTrack)
	ty := y + waveTrackH/2 - 6 - 7*len(fig)
	text(v.img, waveMargin, ty, colText, clip(name, (waveNameW-6)/7))
	for j, l := range fig {
		text(v.img, waveMargin, ty+14*(j+1), colRuler, clip(l, (waveNameW-6)/7))
	}
	mid := y + waveTrackH/2
	hline(v.img, x0, x0+cols, mid, colAxis)
	half := float64(waveTrackH/2 - 2)
	for c := 0; c < cols && c < len(pk.lo); c++ {
		lo := mid - int(math.Round(float64(pk.hi[c])*half))
		hi := mid - int(math.Round(float64(pk.lo[c])*half))
		vline(v.img, x0+c, lo, hi+1, colWave)
	}
}

// drawRuler draws the time ruler at ry: a tick at a round step, labelled.
func (v *waveView) drawRuler(ry int) {
	hline(v.img, v.x0, v.x0+v.cols, ry, colRuler)
	step := rulerStep(v.dur, v.cols)
	for t := time.Duration(0); t <= v.dur; t += step {
		x := v.xOf(int64(t.Seconds() * float64(v.rate)))
		vline(v.img, x, ry, ry+6, colRuler)
		label := fmtClock(t, v.dur >= time.Hour)
		text(v.img, min(x+2, v.W-waveMargin/2-7*len(label)), ry+6, colRuler, label)
	}
}

// drawLegend draws the marker kinds' colours along the bottom.
func (v *waveView) drawLegend() {
	lx, ly := v.x0, v.H-waveLegendH+3
	for _, k := range kindOrder {
		fill(v.img, image.Rect(lx, ly+3, lx+10, ly+13), KindColor[k])
		text(v.img, lx+14, ly, colText, k)
		lx += 14 + 7*len(k) + 18
	}
}

// drawMarkers draws the markers: regions as a tinted band, every start as a
// line, the label in the first free row above the tracks.
func drawMarkers(img *image.RGBA, ms []waveMarker, xOf func(int64) int, top, bottom int) {
	rowEnd := make([]int, waveLabelRs)
	for i := range rowEnd {
		rowEnd[i] = -1 << 30
	}
	for _, m := range ms {
		c, ok := KindColor[m.Kind]
		if !ok {
			c = colRuler
		}
		x := xOf(m.Start)
		if m.End > m.Start {
			x1 := max(xOf(m.End), x+1)
			band := color.NRGBA{c.R, c.G, c.B, 0x40}
			draw.Draw(img, image.Rect(x, top, x1, bottom), &image.Uniform{band}, image.Point{}, draw.Over)
		}
		vline(img, x, waveTitleH, bottom, c)
		if m.Kind == "glitch" {
			vline(img, x+1, top, bottom, c)
		}
		label := m.Title
		if label == "" {
			label = m.Kind
		}
		label = clip(label, 28)
		lw := len([]rune(label))*7 + 4
		row := 0
		for r := range rowEnd {
			if rowEnd[r] < x {
				row = r
				break
			}
			if rowEnd[r] < rowEnd[row] {
				row = r
			}
		}
		rowEnd[row] = x + lw
		ly := waveTitleH + row*waveLabelH
		fill(img, image.Rect(x, ly+1, x+lw, ly+waveLabelH-1), color.RGBA{c.R, c.G, c.B, 0xff})
		text(img, x+2, ly, color.RGBA{0xff, 0xff, 0xff, 0xff}, label)
	}
}

// rulerStep picks a round tick interval giving ticks about 100 px apart.
func rulerStep(d time.Duration, px int) time.Duration {
	want := time.Duration(float64(d) * 100 / float64(max(px, 1)))
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if s >= want {
			return s
		}
	}
	return 2 * time.Hour
}

func fmtClock(d time.Duration, hours bool) string {
	if hours {
		return markers.Clock(d, markers.ClockLayout{HourDigits: 1})
	}
	return markers.Clock(d, markers.ClockShort)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:max(n-1, 0)]) + "…"
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x < x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y < y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// latin folds the accented letters of Latin-1 to ASCII, from U+00C0.
const latin = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty"

// text draws s with its top-left corner at (x, y) in the 7×13 basic font
// (ASCII): accented Latin letters lose their accents, other characters it
// lacks are drawn as '?'.
func text(img *image.RGBA, x, y int, c color.RGBA, s string) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '…':
			return '~'
		case r >= 0xC0 && r <= 0xFF:
			return rune(latin[r-0xC0])
		case r == 'ß':
			return 's'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
	d := font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: basicfont.Face7x13,
		Dot: fixed.P(x, y+faceAscnt)}
	d.DrawString(s)
}
