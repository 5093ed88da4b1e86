module github.com/podmark/podmark

go 1.26

require (
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/gordonklaus/portaudio v0.0.0-20250206071425-98a94950218b // indirect
	github.com/hajimehoshi/go-mp3 v0.3.4 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
