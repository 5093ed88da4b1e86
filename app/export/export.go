// Package export turns a session folder (recorded, or merged by podmark
// merge) into the editor's bundle: the WAV tracks as recorded, lossless FLAC
// copies checked sample for sample, an MP3 review mix with ID3v2 chapters,
// every marker format with the public/editor split, a REAPER project, a
// waveform overview, a README and a manifest of sizes and SHA-256 sums that
// Verify re-checks.
//
// The bundle is built in a hidden folder next to the output and renamed into
// place only when complete, manifest last: an interrupted or failed export
// never leaves a folder that looks finished.
package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/markers"
)

// MergeReportFile is the merge engine's report in a merged session folder;
// export copies its offsets and drift figures into the manifest.
const MergeReportFile = session.MergeReportFile

// The audio formats of Options.Audio.
const (
	WAV  = "wav"
	FLAC = "flac"
	MP3  = "mp3"
)

// AllAudio is the default set of audio formats.
var AllAudio = []string{WAV, FLAC, MP3}

// Sentinel errors.
var (
	ErrOptions      = errors.New("export: bad options")
	ErrExists       = errors.New("export: output already exists")
	ErrMissingTrack = errors.New("export: track missing")
	ErrUnfinished   = errors.New("export: session not finalized")
	ErrEmpty        = errors.New("export: session has no audio")
)

// Options configures Run.
type Options struct {
	Session string   // session folder (recorded or merged)
	Out     string   // bundle folder to create; must not exist
	Audio   []string // any of "wav", "flac", "mp3"; nil means all
	Zip     bool     // also write Out + ".zip" holding the bundle folder
	// Offset and Cuts retime the public chapters, transcript seed and show
	// notes to the episode timeline (markers.Retime). The audio, the editor
	// files and the MP3's own chapters stay on the recording timeline, so
	// they line up with the recorded audio.
	Offset time.Duration
	Cuts   []markers.Cut
	Public []markers.Kind // kinds that become public chapters; nil = markers.DefaultPublic
	// MP3Bitrate is the review mix's CBR bit rate in kbit/s; 0 means 128.
	MP3Bitrate int
	// Workers bounds the audio jobs run at once; 0 means one per CPU.
	Workers int
	// Loudness is the review mix's integrated loudness target in LUFS
	// (-40..-6); 0 means DefaultLoudness. LoudnessOff leaves the mix the
	// plain sum of the tracks (the limiter still keeps it under
	// MaxTruePeak). Tracks are measured either way.
	Loudness    float64
	LoudnessOff bool
	// Speakers asks for speaker turns and a labelled transcript in notes/
	// (speakers.go); a merged session gets the turns without asking.
	Speakers SpeakerOptions
}

// Progress is reported while Run works.
type Progress struct {
	Stage    string  // "audio", "markers", "waveform", "manifest", "zip", "done"
	Fraction float64 // 0..1 of the whole export
	Done     int64   // audio frames processed, summed over jobs
	Total    int64
	Elapsed  time.Duration
}

// Result describes a finished bundle.
type Result struct {
	Dir      string // the bundle folder
	Zip      string // the zip file, when asked for
	Manifest Manifest
	Warnings []string
	Elapsed  time.Duration
}

// Run exports the session in opt.Session into the new bundle folder
// opt.Out. progress (may be nil) is called from one goroutine at a time,
// about ten times a second and at each stage. Cancelling ctx stops the
// export and removes the partial bundle.
//
// The steps: read the session (openBundle), make the hidden folder, start
// the audio jobs (the review mix, and per track the copy, FLAC and
// loudness), write the marker files meanwhile, then the outputs that need
// the audio results, the manifest last, and rename the folder into place.
func Run(ctx context.Context, opt Options, progress func(Progress)) (res Result, err error) {
	start := time.Now()
	b, err := openBundle(opt)
	if err != nil {
		return res, err
	}
	defer func() { res.Warnings = b.warnings }()
	if err := b.makeFolder(); err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(b.tmp)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep := newReporter(start, progress)
	jobs := startJobs(ctx, cancel, b.audioJobs(ctx), opt.Workers)
	rep.jobs = jobs.jobs
	rep.report()

	// The small files, while the audio jobs run.
	if err := b.writeMarkerFiles(); err != nil {
		cancel()
		jobs.wait(nil)
		return res, err
	}
	if err := b.writeSpeakerFiles(ctx); err != nil {
		cancel()
		jobs.wait(nil)
		return res, err
	}
	if err := jobs.wait(rep.report); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// The outputs that need the audio results, then the manifest.
	rep.stage("waveform")
	for _, write := range []func() error{b.writeWaveform, b.writeRPP} {
		if err := write(); err != nil {
			return res, err
		}
	}
	rep.stage("manifest")
	if err := b.writeManifest(); err != nil {
		return res, err
	}
	if err := b.publish(ctx, rep); err != nil {
		return res, err
	}
	rep.stage("done")
	return Result{Dir: b.out, Zip: b.zipPath, Manifest: b.manifest, Elapsed: time.Since(start)}, nil
}

func checkOptions(opt *Options) ([]string, error) {
	if opt.Session == "" {
		return nil, fmt.Errorf("%w: no session folder", ErrOptions)
	}
	if opt.Out == "" {
		return nil, fmt.Errorf("%w: no --out folder", ErrOptions)
	}
	if st, err := os.Stat(opt.Session); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("export: %w: %s is not a folder", session.ErrNotSession, opt.Session)
	}
	if _, err := os.Lstat(opt.Out); err == nil {
		return nil, fmt.Errorf("%w: %s (choose a new folder)", ErrExists, opt.Out)
	}
	if a, _ := filepath.Abs(opt.Out); strings.HasPrefix(a+string(filepath.Separator), absOr(opt.Session)+string(filepath.Separator)) {
		return nil, fmt.Errorf("%w: --out %s is inside the session folder", ErrOptions, opt.Out)
	}
	formats := opt.Audio
	if formats == nil {
		formats = AllAudio
	}
	for _, f := range formats {
		if !slices.Contains(AllAudio, f) {
			return nil, fmt.Errorf("%w: audio format %q (want wav, flac or mp3)", ErrOptions, f)
		}
	}
	if opt.Loudness != 0 && (opt.Loudness < -40 || opt.Loudness > -6) {
		return nil, fmt.Errorf("%w: loudness target %g LUFS (want -40..-6, or off)", ErrOptions, opt.Loudness)
	}
	if opt.MP3Bitrate != 0 && (opt.MP3Bitrate < 32 || opt.MP3Bitrate > 320) {
		return nil, fmt.Errorf("%w: MP3 bit rate %d kbit/s (want 32..320)", ErrOptions, opt.MP3Bitrate)
	}
	for _, c := range opt.Cuts {
		if c.End <= c.Start || c.Start < 0 {
			return nil, fmt.Errorf("%w: cut %v-%v is empty or negative", ErrOptions, c.Start, c.End)
		}
	}
	return formats, nil
}

func absOr(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// loadTracks opens every track of the session and checks they share one rate.
func loadTracks(dir string, meta session.Meta) ([]track, int64, error) {
	if len(meta.Tracks) == 0 {
		return nil, 0, fmt.Errorf("%w: %s lists no tracks", ErrMissingTrack, filepath.Join(dir, session.MetaFile))
	}
	var tracks []track
	var frames int64
	seen := map[string]bool{}
	for _, mt := range meta.Tracks {
		rel := path.Clean(filepath.ToSlash(mt.File))
		if path.IsAbs(rel) || strings.HasPrefix(rel, "../") || rel == ".." {
			return nil, 0, fmt.Errorf("export: %s: track %q is outside the session folder", filepath.Join(dir, session.MetaFile), mt.File)
		}
		src := filepath.Join(dir, filepath.FromSlash(rel))
		r, err := audio.OpenWAV(src)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, 0, fmt.Errorf("%w: %s", ErrMissingTrack, src)
			}
			return nil, 0, fmt.Errorf("export: track %s: %w", src, err)
		}
		info := r.Info()
		if err := r.Close(); err != nil {
			return nil, 0, fmt.Errorf("export: %w", err)
		}
		if int(info.Rate) != meta.Rate {
			return nil, 0, fmt.Errorf("export: track %s: %d Hz, the session is %d Hz", src, info.Rate, meta.Rate)
		}
		name := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
		for k := 2; seen[name]; k++ {
			name = fmt.Sprintf("%s_%d", strings.TrimSuffix(path.Base(rel), path.Ext(rel)), k)
		}
		seen[name] = true
		tracks = append(tracks, track{src: src, name: name, rel: rel, info: info})
		frames = max(frames, info.Frames)
	}
	return tracks, frames, nil
}

func trackRels(ts []track) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.rel
	}
	return out
}

// id3Chapters is markers' ID3 chapter list (Doc.ID3Chapters) of the public
// kinds, as the codec writes it.
func id3Chapters(doc markers.Doc, public []markers.Kind, frames int64) []codec.Chapter {
	var out []codec.Chapter
	for _, c := range doc.WithPublic(public...).ID3Chapters(frames) {
		out = append(out, codec.Chapter{ID: c.ID, Title: c.Title, URL: c.URL, Start: c.Start, End: c.End})
	}
	return out
}

// projectName is the bundle's base name made safe for a file name.
func projectName(out string) string {
	n := session.SanitizeName(filepath.Base(out), "podmark")
	return n
}

func syncDir(dir string) error {
	if !canSyncDir {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: sync %q: %w", dir, err)
	}
	return nil
}

// syncDirs fsyncs the bundle's folders so that the rename publishes
// complete content.
func syncDirs(root string) error {
	for _, d := range []string{"audio", "chapters", "editor", "notes", "."} {
		if err := syncDir(filepath.Join(root, d)); err != nil {
			return err
		}
	}
	return nil
}
