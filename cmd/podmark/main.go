// Command podmark records a podcast host's microphone with live markers and
// hands the editor one bundle. With no command (or only window flags) it opens
// the Fyne window; `podmark <command>` runs the same engine headless.
//
// This package only wires flags and subcommands to the packages; each command
// lives in its own file and registers itself in init.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// command is one subcommand: it parses args and returns the exit code.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int) {
	commands[name] = command{summary: summary, run: run}
}

// runWindow opens the GUI; set by window.go so that main.go stays free of Fyne.
var runWindow func(args []string, stderr io.Writer) int

// stopProfile flushes PODMARK_CPUPROFILE and PODMARK_MEMPROFILE; the window, which ends the
// process from its own event loop, calls it too (ui.Options.AtExit).
var stopProfile = func() {}

func main() {
	stopProfile = startProfile(os.Stderr)
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		return runVersion(nil, stdin, stdout, stderr)
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		if runWindow == nil {
			fmt.Fprintln(stderr, "podmark: this build has no window; use a command (podmark help)")
			return 2
		}
		leaveOwnConsole()
		return runWindow(args, stderr)
	}
	name := args[0]
	if isHelp(name) || name == "help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "podmark: unknown command %q\n", name)
		usage(stderr)
		return 2
	}
	code := c.run(args[1:], stdin, stdout, stderr)
	if slices.ContainsFunc(args[1:], isHelp) {
		printDoc(stderr, name)
	}
	return code
}

func isHelp(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// docPages names the page that documents each command, printed under its
// --help; "" is the window.
var docPages = map[string]string{
	"":           "docs/window.md",
	"record":     "docs/recording.md",
	"devices":    "docs/recording.md",
	"recover":    "docs/recording.md",
	"version":    "README.md",
	"export":     "docs/export.md",
	"verify":     "docs/export.md",
	"merge":      "docs/merge.md",
	"markers":    "docs/markers.md",
	"transcript": "docs/markers.md",
	"loudness":   "docs/export.md",
	"relay":      "docs/room.md",
	"room":       "docs/room.md",
	"pull":       "docs/room.md",
	"upload":     "docs/room.md",
}

// docURL is where the docs are published; the same pages are in the
// source tree.
const docURL = "https://github.com/podmark/podmark/blob/main/"

// printDoc names the doc page of command name (under its --help).
func printDoc(w io.Writer, name string) {
	page := docPages[name]
	if page == "" {
		page = "README.md"
	}
	fmt.Fprintf(w, "\nDocumentation: %s (%s%s)\n", page, docURL, page)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: podmark [--device D] [--channels N] [--rate HZ] [--dir FOLDER] [--host NAME] [--test-inputs]   (opens the window)")
	fmt.Fprintln(w, "       podmark --version")
	fmt.Fprintln(w, "       podmark <command> [flags]   (headless)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'podmark <command> -h' for a command's flags, 'podmark --version' for the versions.")
	fmt.Fprintln(w, "Documentation: README.md and docs/ ("+docURL+"README.md)")
}
