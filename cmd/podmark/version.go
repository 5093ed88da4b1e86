package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is podmark's release (FyneApp.toml's Version); release builds set
// it with -ldflags "-X main.version=…" (scripts/build-windows.sh does).
var version = "dev"

func init() {
	register("version", "print podmark's version, commit and platform (also: podmark --version)", runVersion)
}

// isVersion reports whether args ask for the version the usual way.
func isVersion(args []string) bool {
	return len(args) == 1 && (args[0] == "--version" || args[0] == "-version")
}

func runVersion(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "podmark version: unexpected argument %q\n", args[0])
		return 2
	}
	commit := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(stdout, "podmark %s%s %s/%s %s\n", version, commit, runtime.GOOS, runtime.GOARCH, runtime.Version())
	return 0
}
