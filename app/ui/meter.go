package ui

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// meterFloorDB is the bottom of the meter scale.
const meterFloorDB = -60

// meterRadius rounds the clip light's corners.
const meterRadius = 3

var (
	meterRMSColor  = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x5c, A: 0xff}
	meterPeakColor = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x5c, A: 0x70}
	meterHotColor  = color.NRGBA{R: 0xf0, G: 0xb4, B: 0x29, A: 0xff}
	meterClipColor = color.NRGBA{R: 0xe0, G: 0x30, B: 0x30, A: 0xff}
	meterIdleColor = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x40}
	meterZoneColor = color.NRGBA{R: 0x1f, G: 0x8f, B: 0x45, A: 0xc0}
)

// The dB scale: tick marks on every meter and their numbers under the
// meters (meterScale), and the speech target zone: when a host talks at a
// good level, the peaks (the lighter bar, and the number) land in it.
var meterTickDB = [...]float64{-48, -24, -18, -12, -6, -3}

const (
	zoneLowDB  = -18 // speech target zone, dBFS peak
	zoneHighDB = -6  // above it the bar turns amber
	zoneStrip  = 4   // height of the zone's strip
)

// meterBar is where the bar lies in a meter (or the scale) of width w:
// after the channel label, before the clip light.
func meterBar(w float32) (x, width float32) {
	const labelW, clipW = 28, 36
	return labelW, max(w-labelW-clipW-4, 0)
}

// dbX is the position of db on a bar of width w (0 at the left end).
func dbX(db float64, w float32) float32 {
	return float32((db-meterFloorDB)/-meterFloorDB) * w
}

// LevelMeter is a horizontal peak + RMS meter on a dBFS scale with a clip
// latch; tapping it clears the latch (and calls OnClearClip so the engine's
// latch is cleared too). Use it only on the Fyne goroutine.
type LevelMeter struct {
	widget.BaseWidget
	Label       string
	OnClearClip func()

	peak, rms float32
	clipped   bool
	// The dB readout shows the highest peak of the last half second: easier
	// to read than a number changing 30 times a second, and it spares the
	// renderer a new text texture every frame.
	holdPeak  float32
	holdUntil time.Time
}

// NewLevelMeter returns a meter labelled label (e.g. the channel number).
func NewLevelMeter(label string, onClearClip func()) *LevelMeter {
	m := &LevelMeter{Label: label, OnClearClip: onClearClip}
	m.ExtendBaseWidget(m)
	return m
}

// SetLevel shows linear peak and RMS (0..1) and latches clipped; it only
// redraws when something visible changed.
func (m *LevelMeter) SetLevel(peak, rms float32, clipped bool) {
	clipped = clipped || m.clipped
	readout := m.readoutDB()
	if now := time.Now(); peak > m.holdPeak || now.After(m.holdUntil) {
		m.holdPeak, m.holdUntil = peak, now.Add(500*time.Millisecond)
	}
	// The readout counts too: after a peak the bars may stand still (a
	// pause) while the held number falls back.
	if dbPos(peak) == dbPos(m.peak) && dbPos(rms) == dbPos(m.rms) && clipped == m.clipped && m.readoutDB() == readout {
		return
	}
	m.peak, m.rms, m.clipped = peak, rms, clipped
	m.Refresh()
}

// noReadout is readoutDB's "-inf": no signal.
const noReadout = math.MinInt

// readoutDB is the dB readout's value: the held peak in whole dBFS, or
// noReadout.
func (m *LevelMeter) readoutDB() int {
	if m.holdPeak <= 0 {
		return noReadout
	}
	return int(math.Round(20 * math.Log10(float64(m.holdPeak))))
}

// Clipped reports whether the clip latch is set.
func (m *LevelMeter) Clipped() bool { return m.clipped }

// Peak returns the last peak shown (linear).
func (m *LevelMeter) Peak() float32 { return m.peak }

// Tapped clears the clip latch.
func (m *LevelMeter) Tapped(*fyne.PointEvent) {
	m.clipped = false
	if m.OnClearClip != nil {
		m.OnClearClip()
	}
	m.Refresh()
}

// dbPos maps a linear level to 0..1 on the meter scale, quantised to 1/400
// so tiny changes do not cost a redraw.
func dbPos(v float32) float32 {
	if v <= 0 {
		return 0
	}
	db := 20 * math.Log10(float64(v))
	p := (db - meterFloorDB) / -meterFloorDB
	p = math.Max(0, math.Min(1, p))
	return float32(math.Round(p*400) / 400)
}

// CreateRenderer implements fyne.Widget.
func (m *LevelMeter) CreateRenderer() fyne.WidgetRenderer {
	r := &meterRenderer{m: m,
		bg:    canvas.NewRectangle(meterIdleColor),
		peak:  canvas.NewRectangle(meterPeakColor),
		rms:   canvas.NewRectangle(meterRMSColor),
		clip:  canvas.NewRectangle(meterIdleColor),
		zone:  canvas.NewRectangle(meterZoneColor),
		label: canvas.NewText(m.Label, theme.Color(theme.ColorNameForeground)),
		db:    canvas.NewText("", theme.Color(theme.ColorNameForeground)),
	}
	// The scale is square: Fyne shades a rectangle with any rounded corner
	// with its rounded-rectangle program over its whole area, about twice
	// the cost of a square one on a software renderer, on every frame.
	r.clip.CornerRadius = meterRadius
	r.label.TextStyle.Bold = true
	r.db.TextSize = theme.CaptionTextSize()
	r.db.Alignment = fyne.TextAlignTrailing
	for i := range r.ticks {
		r.ticks[i] = canvas.NewRectangle(color.NRGBA{A: 0x50})
	}
	r.Refresh()
	return r
}

type meterRenderer struct {
	m                         *LevelMeter
	bg, zone, peak, rms, clip *canvas.Rectangle
	ticks                     [len(meterTickDB)]*canvas.Rectangle
	label, db                 *canvas.Text
	barX, barW, h, clipW      float32
}

func (r *meterRenderer) MinSize() fyne.Size {
	return fyne.NewSize(200, 26)
}

func (r *meterRenderer) Layout(size fyne.Size) {
	r.clipW = 36
	r.barX, r.barW = meterBar(size.Width)
	r.h = size.Height
	r.label.Move(fyne.NewPos(4, (size.Height-r.label.MinSize().Height)/2))
	r.clip.Move(fyne.NewPos(size.Width-r.clipW, 0))
	r.clip.Resize(fyne.NewSize(r.clipW, size.Height))
	for i, t := range r.ticks {
		t.Move(fyne.NewPos(r.barX+dbX(meterTickDB[i], r.barW), 0))
		t.Resize(fyne.NewSize(1, size.Height))
	}
	lo, hi := dbX(zoneLowDB, r.barW), dbX(zoneHighDB, r.barW)
	// A strip along the bottom edge, drawn over the bars so it shows
	// while they are lit too.
	r.zone.Move(fyne.NewPos(r.barX+lo, size.Height-zoneStrip))
	r.zone.Resize(fyne.NewSize(hi-lo, zoneStrip))
	r.db.Move(fyne.NewPos(r.barX, 0))
	r.db.Resize(fyne.NewSize(r.barW-4, size.Height))
	r.place()
}

func (r *meterRenderer) place() {
	pp, rp := dbPos(r.m.peak), dbPos(r.m.rms)
	r.rms.Move(fyne.NewPos(r.barX, 0))
	r.rms.Resize(fyne.NewSize(rp*r.barW, r.h))
	// The translucent peak bar only covers what the opaque RMS bar does
	// not: the software renderer shades every pixel of every rectangle on
	// every frame, so drawing it under the RMS bar would be wasted work.
	r.peak.Move(fyne.NewPos(r.barX+rp*r.barW, 0))
	r.peak.Resize(fyne.NewSize(max(pp-rp, 0)*r.barW, r.h))
	// Likewise the scale's background starts where the RMS bar ends.
	r.bg.Move(fyne.NewPos(r.barX+rp*r.barW, 0))
	r.bg.Resize(fyne.NewSize((1-rp)*r.barW, r.h))
}

func (r *meterRenderer) Refresh() {
	m := r.m
	r.rms.FillColor = meterRMSColor
	if dbPos(m.peak) > float32((zoneHighDB-meterFloorDB)/-meterFloorDB) {
		r.rms.FillColor = meterHotColor
	}
	if m.clipped {
		r.clip.FillColor = meterClipColor
	} else {
		r.clip.FillColor = meterIdleColor
	}
	fg := theme.Color(theme.ColorNameForeground)
	db := "-inf"
	if v := m.readoutDB(); v != noReadout {
		db = fmt.Sprintf("%d dB", v)
	}
	// Texts are refreshed only when they change (a text refresh costs a
	// new texture on the software renderer).
	if r.label.Text != m.Label || r.label.Color != fg || r.db.Text != db || r.db.Color != fg {
		r.label.Text, r.label.Color, r.db.Text, r.db.Color = m.Label, fg, db, fg
		r.label.Refresh()
		r.db.Refresh()
	}
	r.place()
	for _, o := range []fyne.CanvasObject{r.bg, r.peak, r.rms, r.clip} {
		o.Refresh()
	}
}

func (r *meterRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.peak, r.rms, r.zone}
	for _, t := range r.ticks {
		objs = append(objs, t)
	}
	return append(objs, r.db, r.clip, r.label)
}

func (r *meterRenderer) Destroy() {}

// meterScale is the row of dB numbers under the meters, lined up with their
// tick marks; numbers that would touch their neighbour (a narrow window)
// are left out, 0 and the zone's edges last.
type meterScale struct {
	widget.BaseWidget
}

func newMeterScale() *meterScale {
	s := &meterScale{}
	s.ExtendBaseWidget(s)
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *meterScale) CreateRenderer() fyne.WidgetRenderer {
	r := &scaleRenderer{}
	for _, db := range append(meterTickDB[:], 0) {
		t := canvas.NewText(fmt.Sprintf("%.0f", db), theme.Color(theme.ColorNameForeground))
		t.TextSize = theme.CaptionTextSize()
		r.texts = append(r.texts, t)
		r.dbs = append(r.dbs, db)
	}
	r.unit = canvas.NewText("dBFS", theme.Color(theme.ColorNameForeground))
	r.unit.TextSize = theme.CaptionTextSize()
	return r
}

type scaleRenderer struct {
	texts []*canvas.Text
	dbs   []float64
	unit  *canvas.Text
}

func (r *scaleRenderer) MinSize() fyne.Size {
	return fyne.NewSize(200, r.unit.MinSize().Height)
}

// scalePriority orders the numbers by how much a host needs them.
var scalePriority = []float64{0, -18, -6, -12, -24, -48, -3}

func (r *scaleRenderer) Layout(size fyne.Size) {
	x0, w := meterBar(size.Width)
	type span struct{ lo, hi float32 }
	var taken []span
	unitW := r.unit.MinSize().Width
	r.unit.Move(fyne.NewPos(size.Width-unitW, 0))
	taken = append(taken, span{size.Width - unitW - 4, size.Width})
	for _, want := range scalePriority {
		for i, db := range r.dbs {
			if db != want {
				continue
			}
			t := r.texts[i]
			tw := t.MinSize().Width
			x := x0 + dbX(db, w) - tw/2
			x = min(max(x, x0), x0+w-tw) // the ends stay on the bar
			s := span{x - 3, x + tw + 3}
			free := true
			for _, o := range taken {
				if s.lo < o.hi && o.lo < s.hi {
					free = false
				}
			}
			t.Hidden = !free
			if free {
				taken = append(taken, s)
				t.Move(fyne.NewPos(x, 0))
				t.Resize(t.MinSize())
			}
		}
	}
}

func (r *scaleRenderer) Refresh() {
	fg := theme.Color(theme.ColorNameForeground)
	for _, t := range append(r.texts, r.unit) {
		if t.Color != fg {
			t.Color = fg
			t.Refresh()
		}
	}
}

func (r *scaleRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.unit}
	for _, t := range r.texts {
		objs = append(objs, t)
	}
	return objs
}

func (r *scaleRenderer) Destroy() {}
