package main

import (
	"io"

	"github.com/podmark/podmark/app/ui"
)

func init() {
	runWindow = func(args []string, stderr io.Writer) int {
		return ui.Run()
	}
}
