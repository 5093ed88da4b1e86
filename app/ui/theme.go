package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// squareCorners is the app's theme with square corners on buttons and
// inputs. Fyne shades a rectangle with any rounded corner with its
// rounded-rectangle program over the whole area, about twice the cost of
// a square one on a software renderer, and it repaints the whole window
// for every meter update: the transport's two large buttons are drawn
// square (withSquareCorners).
type squareCorners struct{}

// base is the theme the app uses (never the rendering theme an override
// pushes, which is this one).
func (squareCorners) base() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (s squareCorners) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return s.base().Color(n, v)
}

func (s squareCorners) Font(st fyne.TextStyle) fyne.Resource { return s.base().Font(st) }

func (s squareCorners) Icon(n fyne.ThemeIconName) fyne.Resource { return s.base().Icon(n) }

func (s squareCorners) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInputRadius {
		return 0
	}
	return s.base().Size(n)
}

// withSquareCorners draws o's buttons and inputs with square corners.
func withSquareCorners(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewThemeOverride(o, squareCorners{})
}
