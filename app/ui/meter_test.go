package ui

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestLevelMeterClipLatch(t *testing.T) {
	test.NewTempApp(t)
	cleared := 0
	m := NewLevelMeter("1", func() { cleared++ })
	w := test.NewWindow(m)
	defer w.Close()
	r := test.WidgetRenderer(m).(*meterRenderer)

	m.SetLevel(0.5, 0.2, false)
	if m.Clipped() || r.clip.FillColor != meterIdleColor {
		t.Fatal("clip lit without clipping")
	}
	m.SetLevel(1, 0.7, true)
	m.SetLevel(0.1, 0.05, false) // the latch holds after the peak passed
	if !m.Clipped() || r.clip.FillColor != meterClipColor {
		t.Fatal("clip latch did not hold")
	}
	if r.db.Text != "0 dB" {
		t.Fatalf("readout %q, want the held 0 dB peak", r.db.Text)
	}
	test.Tap(m)
	if m.Clipped() || cleared != 1 || r.clip.FillColor != meterIdleColor {
		t.Fatalf("tap did not clear the latch: clipped %v, cleared %d", m.Clipped(), cleared)
	}
	// Bar widths follow the dBFS scale: -60 dB empty, 0 dB full.
	m.SetLevel(0.001, 0.001, false)
	if r.rms.Size().Width != 0 {
		t.Fatalf("-60 dBFS bar width %v, want 0", r.rms.Size().Width)
	}
	m.SetLevel(1, 1, false)
	if r.rms.Size().Width != r.barW {
		t.Fatalf("0 dBFS bar width %v, want %v", r.rms.Size().Width, r.barW)
	}
}

func TestLevelMeterReadoutNoNegativeZero(t *testing.T) {
	test.NewTempApp(t)
	m := NewLevelMeter("1", nil)
	w := test.NewWindow(m)
	defer w.Close()
	m.SetLevel(0.9999, 0.5, false) // -0.0009 dBFS rounds to -0
	if got := test.WidgetRenderer(m).(*meterRenderer).db.Text; got != "0 dB" {
		t.Fatalf("readout %q, want 0 dB", got)
	}
}

func TestDBPos(t *testing.T) {
	for _, tt := range []struct {
		v    float32
		want float32
	}{{0, 0}, {-1, 0}, {0.001, 0}, {1, 1}, {2, 1}, {0.031622776, 0.5}} {
		if got := dbPos(tt.v); got != tt.want {
			t.Errorf("dbPos(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// The scale's background, the RMS bar and the peak bar tile the meter
// without overlapping (each pixel is shaded once), and the background's
// left corners are round only when no bar is lit.
func TestLevelMeterBarsDoNotOverlap(t *testing.T) {
	test.NewTempApp(t)
	m := NewLevelMeter("1", nil)
	w := test.NewWindow(m)
	defer w.Close()
	w.Resize(fyne.NewSize(400, 40))
	r := test.WidgetRenderer(m).(*meterRenderer)
	right := func(o fyne.CanvasObject) float32 { return o.Position().X + o.Size().Width }
	const eps = 0.01
	for _, lv := range []struct{ peak, rms float32 }{{0, 0}, {0.1, 0.05}, {0.5, 0.2}, {1, 0.7}, {1, 1}} {
		m.SetLevel(lv.peak, lv.rms, false)
		if math.Abs(float64(r.rms.Position().X-r.barX)) > eps ||
			math.Abs(float64(r.peak.Position().X-right(r.rms))) > eps ||
			math.Abs(float64(r.bg.Position().X-right(r.rms))) > eps ||
			math.Abs(float64(right(r.bg)-(r.barX+r.barW))) > eps {
			t.Fatalf("level %+v: rms %v+%v, peak %v+%v, bg %v+%v; bar %v+%v", lv,
				r.rms.Position().X, r.rms.Size().Width, r.peak.Position().X, r.peak.Size().Width,
				r.bg.Position().X, r.bg.Size().Width, r.barX, r.barW)
		}
		// Square: a rounded corner would shade the whole scale with the
		// dearer rounded-rectangle program on every frame.
		if r.bg.TopLeftCornerRadius != 0 || r.bg.BottomLeftCornerRadius != 0 ||
			r.bg.TopRightCornerRadius != 0 || r.bg.BottomRightCornerRadius != 0 || r.bg.CornerRadius != 0 {
			t.Fatalf("level %+v: bg corners %+v", lv, r.bg)
		}
	}
}

// TestLevelMeterReadoutFallsBack: after a peak the held readout goes back
// to "-inf" once the hold is over, although the bars (silent input) no
// longer move.
func TestLevelMeterReadoutFallsBack(t *testing.T) {
	test.NewTempApp(t)
	m := NewLevelMeter("1", nil)
	r := test.WidgetRenderer(m).(*meterRenderer)
	m.SetLevel(0.5, 0.2, false)
	m.SetLevel(0, 0, false)
	if r.db.Text != "-6 dB" {
		t.Fatalf("readout %q right after the peak, want -6 dB (held)", r.db.Text)
	}
	m.holdUntil = time.Now().Add(-time.Millisecond) // the hold is over
	m.SetLevel(0, 0, false)
	if r.db.Text != "-inf" {
		t.Fatalf("readout %q in silence after the hold, want -inf", r.db.Text)
	}
}
