package audio

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireJACKServer fails the test when no JACK server is running.
func requireJACKServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jack_lsp"); err != nil {
		t.Fatalf("jack_lsp not found (apt-get install jackd2): %v", err)
	}
	if out, err := exec.Command("jack_lsp").CombinedOutput(); err != nil {
		t.Fatalf("jackd is not running; start it with `cd /work/main && . scripts/services.sh` (jackd -d dummy -r 48000 -p 1024): %v\n%s", err, out)
	}
}

// jackDevice returns the PortAudio input device of the JACK host API.
func jackDevice(t *testing.T) (Device, []Device) {
	t.Helper()
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		t.Logf("%d\t%s\t%s\t%d\t%g default=%v", d.Index, d.Name, d.HostAPI, d.MaxInputChannels, d.DefaultRate, d.Default)
	}
	for _, d := range devs {
		if strings.Contains(d.HostAPI, "JACK") {
			return d, devs
		}
	}
	t.Fatalf("no JACK input device among %d PortAudio input devices", len(devs))
	return Device{}, nil
}

func TestPortAudioDevices(t *testing.T) {
	requireJACKServer(t)
	jd, devs := jackDevice(t)
	if jd.MaxInputChannels < 2 || jd.DefaultRate != 48000 {
		t.Fatalf("JACK device %+v: want ≥2 inputs at 48000 Hz (jackd -d dummy -r 48000)", jd)
	}
	for _, spec := range []string{strconv.Itoa(jd.Index), jd.Name} {
		d, err := FindDevice(devs, spec)
		if err != nil || d.Index != jd.Index && spec != jd.Name {
			t.Fatalf("FindDevice(%q) = %+v, %v", spec, d, err)
		}
	}
	for _, spec := range []string{"9999", "no such microphone"} {
		_, err := FindDevice(devs, spec)
		if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), strings.TrimPrefix(spec, "")) {
			t.Fatalf("FindDevice(%q): %v", spec, err)
		}
	}
	if _, err := OpenPortAudio(StreamConfig{Device: "no such microphone", Channels: 1, Rate: 48000}); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "no such microphone") {
		t.Fatalf("unknown device: %v", err)
	}
	spec := strconv.Itoa(jd.Index)
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: 1, Rate: 22050}); !errors.Is(err, ErrBadRate) || !strings.Contains(err.Error(), "22050") {
		t.Fatalf("rate 22050: %v", err)
	}
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: 1, Rate: 44100}); !errors.Is(err, ErrBadRate) || !strings.Contains(err.Error(), "44100") {
		t.Fatalf("rate 44100 on a 48000 Hz JACK server: %v", err)
	}
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: jd.MaxInputChannels + 1, Rate: 48000}); !errors.Is(err, ErrBadChannels) {
		t.Fatalf("too many channels: %v", err)
	}
}

func TestPortAudioCaptureJACK(t *testing.T) {
	requireJACKServer(t)
	jd, _ := jackDevice(t)
	src, err := OpenPortAudio(StreamConfig{Device: strconv.Itoa(jd.Index), Channels: 2, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	}()
	if dev, host := src.Info(); dev != jd.Name || host != jd.HostAPI {
		t.Fatalf("Info = %q %q", dev, host)
	}
	paths := trackPaths(t.TempDir(), 2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24, Tracks: paths})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	// Position follows the stream clock between callbacks: never behind the
	// frames delivered so far by more than a buffer, never ahead by much.
	for range 20 {
		p, st := rec.Position(), rec.Stats()
		if p < st.StreamFrames-4096 || p > st.StreamFrames+4096 {
			t.Fatalf("Position %d vs %d stream frames", p, st.StreamFrames)
		}
		time.Sleep(7 * time.Millisecond)
	}
	time.Sleep(1350 * time.Millisecond)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	t.Logf("stats %+v", st)
	if st.Frames < 48000*3/2 || st.Frames > 48000*3 || st.Dropped != 0 || st.Frames != st.StreamFrames {
		t.Fatalf("2 s from JACK gave %+v", st)
	}
	for _, p := range paths {
		info, _, err := ReadWAVFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Frames != st.Frames || info.Rate != 48000 {
			t.Fatalf("%s: %+v", p, info)
		}
	}
}
