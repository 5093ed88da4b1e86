package ui

import (
	"os"
	"regexp"
	"testing"

	"fyne.io/fyne/v2"
)

// The window declares Fyne's fyneDo migration both ways it can reach Fyne:
// FyneApp.toml for `fyne package` builds, withFyneDo for `go build`.
func TestFyneDoMigration(t *testing.T) {
	in := fyne.AppMetadata{ID: AppID, Name: "podmark", Version: "1.2.3", Migrations: map[string]bool{"other": true}}
	out := withFyneDo(in)
	if !out.Migrations["fyneDo"] || !out.Migrations["other"] {
		t.Fatalf("migrations %v, want fyneDo and other on", out.Migrations)
	}
	if out.ID != AppID || out.Name != "podmark" || out.Version != "1.2.3" {
		t.Fatalf("metadata changed: %+v", out)
	}
	if _, ok := in.Migrations["fyneDo"]; ok {
		t.Fatal("withFyneDo changed its argument's map")
	}
	if m := withFyneDo(fyne.AppMetadata{}); !m.Migrations["fyneDo"] {
		t.Fatal("no fyneDo without earlier migrations")
	}

	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\[Migrations\]\s*\n(\s*\w+\s*=.*\n)*\s*fyneDo\s*=\s*true\s*$`).Match(toml) {
		t.Fatalf("FyneApp.toml does not turn on fyneDo under [Migrations]:\n%s", toml)
	}
}
