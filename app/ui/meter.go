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

// meterRadius rounds the scale's and the clip light's corners.
const meterRadius = 3

var (
	meterRMSColor  = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x5c, A: 0xff}
	meterPeakColor = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x5c, A: 0x70}
	meterHotColor  = color.NRGBA{R: 0xf0, G: 0xb4, B: 0x29, A: 0xff}
	meterClipColor = color.NRGBA{R: 0xe0, G: 0x30, B: 0x30, A: 0xff}
	meterIdleColor = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x40}
)

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
	if now := time.Now(); peak > m.holdPeak || now.After(m.holdUntil) {
		m.holdPeak, m.holdUntil = peak, now.Add(500*time.Millisecond)
	}
	if dbPos(peak) == dbPos(m.peak) && dbPos(rms) == dbPos(m.rms) && clipped == m.clipped {
		return
	}
	m.peak, m.rms, m.clipped = peak, rms, clipped
	m.Refresh()
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
		label: canvas.NewText(m.Label, theme.Color(theme.ColorNameForeground)),
		db:    canvas.NewText("", theme.Color(theme.ColorNameForeground)),
	}
	// The scale's corners are set one by one (place); 0 there means "as
	// CornerRadius", so that stays 0.
	r.bg.TopRightCornerRadius, r.bg.BottomRightCornerRadius = meterRadius, meterRadius
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
	m                    *LevelMeter
	bg, peak, rms, clip  *canvas.Rectangle
	ticks                [5]*canvas.Rectangle // -48, -36, -24, -12, -6 dBFS
	label, db            *canvas.Text
	barX, barW, h, clipW float32
}

var meterTickDB = [5]float64{-48, -36, -24, -12, -6}

func (r *meterRenderer) MinSize() fyne.Size {
	return fyne.NewSize(200, 26)
}

func (r *meterRenderer) Layout(size fyne.Size) {
	labelW := float32(28)
	r.clipW = 36
	r.barX = labelW
	r.barW = size.Width - labelW - r.clipW - 4
	r.h = size.Height
	r.label.Move(fyne.NewPos(4, (size.Height-r.label.MinSize().Height)/2))
	r.clip.Move(fyne.NewPos(size.Width-r.clipW, 0))
	r.clip.Resize(fyne.NewSize(r.clipW, size.Height))
	for i, t := range r.ticks {
		p := float32((meterTickDB[i] - meterFloorDB) / -meterFloorDB)
		t.Move(fyne.NewPos(r.barX+p*r.barW, 0))
		t.Resize(fyne.NewSize(1, size.Height))
	}
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
	// Likewise the scale's background starts where the RMS bar ends; its
	// left corners are square there, so the two meet without a notch.
	r.bg.Move(fyne.NewPos(r.barX+rp*r.barW, 0))
	r.bg.Resize(fyne.NewSize((1-rp)*r.barW, r.h))
	left := float32(0) // square: falls back to CornerRadius, 0
	if rp == 0 {
		left = meterRadius
	}
	r.bg.TopLeftCornerRadius, r.bg.BottomLeftCornerRadius = left, left
}

func (r *meterRenderer) Refresh() {
	m := r.m
	r.rms.FillColor = meterRMSColor
	if dbPos(m.peak) > float32((-6.0-meterFloorDB)/-meterFloorDB) {
		r.rms.FillColor = meterHotColor
	}
	if m.clipped {
		r.clip.FillColor = meterClipColor
	} else {
		r.clip.FillColor = meterIdleColor
	}
	fg := theme.Color(theme.ColorNameForeground)
	db := "-inf"
	if m.holdPeak > 0 {
		v := math.Round(20 * math.Log10(float64(m.holdPeak)))
		if v == 0 {
			v = 0 // not "-0 dB"
		}
		db = fmt.Sprintf("%.0f dB", v)
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
	objs := []fyne.CanvasObject{r.bg, r.peak, r.rms}
	for _, t := range r.ticks {
		objs = append(objs, t)
	}
	return append(objs, r.db, r.clip, r.label)
}

func (r *meterRenderer) Destroy() {}
