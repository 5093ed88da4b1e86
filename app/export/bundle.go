package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
	"github.com/podmark/podmark/markers"
)

// bundle is one export in progress: what was read from the session, the
// hidden folder the bundle is built in, and what the steps made so far.
// Each output is a method (writeMarkerFiles, writeWaveform, writeRPP,
// writeManifest); an output is added as one more method and one line in
// Run. The audio jobs write only files (fileSet is concurrent-safe),
// b.mix and their own slot of b.trackLoud; everything else runs on Run's
// goroutine.
type bundle struct {
	opt     Options
	formats []string
	public  []markers.Kind
	meta    session.Meta
	doc     markers.Doc // every marker: the editor's files, the waveform, the REAPER project
	pub     markers.Doc // doc with the public kinds, chapters shorter than markers.MinChapter dropped: every public output
	tracks  []track
	frames  int64           // the longest track
	merge   json.RawMessage // the merge report, compacted; nil for a recorded session

	out, parent, tmp, zipPath string

	files     fileSet
	warnings  []string
	jobWarnMu sync.Mutex
	jobWarn   []string // the audio jobs' warnings (addWarning), joined to warnings for the manifest
	mix       mixResult
	trackLoud []*loudness.Result // per track, from its job; nil when not measured
	rppName   string             // the REAPER project, "" when none
	manifest  Manifest
}

// openBundle checks the options and reads the session: its metadata,
// markers, tracks and merge report.
func openBundle(opt Options) (*bundle, error) {
	formats, err := checkOptions(&opt)
	if err != nil {
		return nil, err
	}
	b := &bundle{opt: opt, formats: formats, public: opt.Public}
	if b.public == nil {
		b.public = markers.DefaultPublic
	}
	if b.meta, err = session.Load(opt.Session); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if b.meta.State.Unfinished() {
		return nil, fmt.Errorf("%w: %s is %q (still recording, or left by a crash: run podmark recover %s first)", ErrUnfinished, filepath.Join(opt.Session, session.MetaFile), b.meta.State, opt.Session)
	}
	doc, warns, err := session.LoadDocWarnings(opt.Session)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	b.doc, b.warnings = doc, warns
	if b.tracks, b.frames, err = loadTracks(opt.Session, b.meta); err != nil {
		return nil, err
	}
	if b.frames == 0 {
		return nil, fmt.Errorf("%w: every track of %s is empty", ErrEmpty, opt.Session)
	}
	b.doc.Frames = max(b.doc.Frames, b.frames)
	var folded []string
	b.pub, folded = markers.FoldShort(b.doc.WithPublic(b.public...))
	for _, n := range folded {
		b.warnings = append(b.warnings, "chapters: "+n)
	}
	b.trackLoud = make([]*loudness.Result, len(b.tracks))
	if b.merge, err = readMergeReport(opt.Session); err != nil {
		return nil, err
	}
	b.out = filepath.Clean(opt.Out)
	b.parent = filepath.Dir(b.out)
	if opt.Zip {
		b.zipPath = b.out + ".zip"
		if _, err := os.Lstat(b.zipPath); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrExists, b.zipPath)
		}
	}
	return b, nil
}

// readMergeReport returns the session's merge report, compacted, or nil.
func readMergeReport(dir string) (json.RawMessage, error) {
	name := filepath.Join(dir, MergeReportFile)
	raw, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("export: %s: not valid JSON", name)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("export: %s: %w", MergeReportFile, err)
	}
	return compact.Bytes(), nil
}

// makeFolder creates the hidden folder the bundle is built in, next to Out.
func (b *bundle) makeFolder() error {
	if err := os.MkdirAll(b.parent, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	tmp, err := os.MkdirTemp(b.parent, "."+filepath.Base(b.out)+".partial-")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	b.tmp = tmp
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, d := range []string{"audio", "chapters", "editor", "notes"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// addWarning records an audio job's warning; concurrent-safe.
func (b *bundle) addWarning(w string) {
	b.jobWarnMu.Lock()
	b.jobWarn = append(b.jobWarn, w)
	b.jobWarnMu.Unlock()
}

// abs is the path of a bundle file in the hidden folder; "" stays "".
func (b *bundle) abs(rel string) string {
	if rel == "" {
		return ""
	}
	return filepath.Join(b.tmp, filepath.FromSlash(rel))
}

func (b *bundle) has(format string) bool { return slices.Contains(b.formats, format) }

// audioJobs are the long jobs, run in parallel: the review mix (with the
// waveform peaks) first, then per track the WAV copy, the FLAC and the
// loudness measurement.
func (b *bundle) audioJobs(ctx context.Context) []*job {
	mixFrames := b.frames
	if b.normalize() {
		mixFrames *= 2 // measured first, then rendered
	}
	jobs := []*job{{frames: mixFrames, run: func(done *atomic.Int64) error { return b.mixJob(ctx, done) }}}
	for i, t := range b.tracks {
		wavRel, flacRel := "", ""
		if b.has(WAV) {
			wavRel = "audio/" + t.name + ".wav"
		}
		if b.has(FLAC) {
			if t.info.Format == audio.Float32 {
				b.warnings = append(b.warnings, fmt.Sprintf("%s: 32-bit float cannot be stored in FLAC losslessly; no FLAC made (the WAV is in the bundle)", t.rel))
			} else {
				flacRel = "audio/" + t.name + ".flac"
			}
		}
		d := trackDests{wav: b.abs(wavRel), flac: b.abs(flacRel)}
		if flacRel != "" {
			var why string
			if d.prog, why = findProgressive(b.opt.Session, t); why != "" {
				b.warnings = append(b.warnings, fmt.Sprintf("%s: progressive FLAC segments not reused: %s", t.rel, why))
			}
		}
		jobs = append(jobs, &job{frames: t.info.Frames, run: func(done *atomic.Int64) error {
			out, err := trackJob(ctx, t, d, done)
			if err != nil {
				return err
			}
			if out.warning != "" {
				b.addWarning(out.warning)
			}
			lr := out.loud
			b.trackLoud[i] = lr
			for _, f := range []struct {
				rel  string
				file File
			}{{wavRel, out.wav}, {flacRel, out.flac}} {
				if f.rel != "" {
					f.file.Path = f.rel
					if lr != nil {
						f.file.Loudness = newLoudness(*lr)
						f.file.Loudness.Warning = trackWarning(f.file.Loudness)
					}
					b.files.add(f.file)
				}
			}
			return nil
		}})
	}
	return jobs
}

// writeMarkerFiles writes every marker format (markerfiles.go).
func (b *bundle) writeMarkerFiles() error {
	files, warns, err := writeMarkerFiles(b.tmp, b.doc, b.pub, b.public, b.opt, b.formats, b.tracks)
	b.warnings = append(b.warnings, warns...)
	for _, f := range files {
		b.files.add(f)
	}
	return err
}

// writeSpeakerFiles writes the speaker turns, the seed with turns and the
// labelled transcript into notes/ (speakers.go).
func (b *bundle) writeSpeakerFiles(ctx context.Context) error {
	episode, _ := episodeDoc(b.pub, b.public, b.opt) // writeMarkerFiles says what it dropped
	files, warns, err := writeSpeakerFiles(ctx, b.tmp, b.opt, episode)
	b.warnings = append(b.warnings, warns...)
	for _, f := range files {
		b.files.add(f)
	}
	return err
}

// writeWaveform draws waveform.png from the mix pass's peaks, each track's
// loudness in its legend.
func (b *bundle) writeWaveform() error {
	names := make([]string, len(b.tracks))
	figs := make([][]string, len(b.tracks))
	for i, t := range b.tracks {
		names[i] = t.name
		if r := b.trackLoud[i]; r != nil {
			l := newLoudness(*r)
			figs[i] = []string{l.Integrated.String() + " LUFS", "LRA " + l.Range.String() + " LU", "TP " + l.TruePeak.String() + " dBTP"}
		}
	}
	var wm []waveMarker
	for _, m := range b.doc.Markers {
		wm = append(wm, waveMarker{Kind: string(m.Kind), Title: m.Title, Start: m.Sample, End: m.End})
	}
	var png bytes.Buffer
	if err := renderWaveform(&png, b.doc.Title, names, figs, b.mix.peaks, b.frames, b.meta.Rate, wm); err != nil {
		return err
	}
	f, err := writeText(b.tmp, "waveform.png", png.Bytes(), RoleOverview, "png", "recording")
	if err != nil {
		return err
	}
	b.files.add(f)
	return nil
}

// writeRPP writes the REAPER project when the bundle has tracks to open.
func (b *bundle) writeRPP() error {
	if !b.has(WAV) && !b.has(FLAC) {
		return nil
	}
	rppTracks := make([]rppTrack, len(b.tracks))
	for i, t := range b.tracks {
		format := WAV
		if !b.has(WAV) && t.info.Format != audio.Float32 {
			format = FLAC
		}
		rppTracks[i] = rppTrack{Name: t.name, File: "audio/" + t.name + "." + format, Format: format, Frames: t.info.Frames}
	}
	var rms []rppMarker
	for _, m := range b.doc.Markers {
		rms = append(rms, rppMarker{Kind: string(m.Kind), Title: m.Title, Start: m.Sample, End: m.End})
	}
	b.rppName = projectName(b.out) + ".rpp"
	f, err := writeText(b.tmp, b.rppName, writeRPP(b.doc.Title, b.meta.Rate, rppTracks, rms), RoleEditor, "rpp", "recording")
	if err != nil {
		return err
	}
	b.files.add(f)
	return nil
}

// writeManifest writes README.txt, manifest.json and manifest.sha256 and
// fsyncs the folder.
func (b *bundle) writeManifest() error {
	meta, doc := b.meta, b.doc
	m := Manifest{
		Bundle: BundleVersion, App: "podmark", AppVersion: session.AppVersion, Created: time.Now().UTC().Truncate(time.Millisecond),
		Session: SessionInfo{
			Title: doc.Title, Host: meta.Host, Folder: filepath.Base(filepath.Clean(b.opt.Session)), StartUTC: meta.StartUTC,
			Rate: meta.Rate, Bits: meta.Bits, Tracks: len(b.tracks), Frames: b.frames, Duration: audio.SampleRate(meta.Rate).Seconds(b.frames),
			State: string(meta.State), Dropped: meta.Dropped, Glitches: meta.Glitches, Markers: len(doc.Markers),
			Chapters: len(b.pub.Public(b.public...).Chapters()), Merged: b.merge != nil, Timeline: "recording",
		},
		Merge: b.merge,
	}
	for _, k := range b.public {
		m.Session.Public = append(m.Session.Public, string(k))
	}
	if b.opt.Offset != 0 || len(b.opt.Cuts) > 0 {
		m.Session.Timeline = "episode"
		ri := &RetimeInfo{Offset: b.opt.Offset.Seconds()}
		for _, c := range b.opt.Cuts {
			ri.Cuts = append(ri.Cuts, [2]float64{c.Start.Seconds(), c.End.Seconds()})
		}
		m.Retime = ri
	}
	b.jobWarnMu.Lock()
	b.warnings = append(b.warnings, b.jobWarn...)
	b.jobWarn = nil
	b.jobWarnMu.Unlock()
	b.warnings = append(b.warnings, b.loudnessWarnings()...)
	m.Session.Warnings = b.warnings
	f, err := writeText(b.tmp, "README.txt", writeReadme(m, b.files.sorted(), b.rppName), RoleReadme, "txt", "")
	if err != nil {
		return err
	}
	b.files.add(f)
	m.Files = b.files.sorted()
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	mf, err := writeText(b.tmp, ManifestFile, append(mb, '\n'), "", "json", "")
	if err != nil {
		return err
	}
	if _, err := writeText(b.tmp, ManifestSumFile, []byte(mf.SHA256+"  "+ManifestFile+"\n"), "", "sha256", ""); err != nil {
		return err
	}
	b.manifest = m
	return syncDirs(b.tmp)
}

// loudnessWarnings are the plain warnings about the tracks' and the mix's
// loudness, one per track or mix.
func (b *bundle) loudnessWarnings() []string {
	var w []string
	for i, t := range b.tracks {
		if r := b.trackLoud[i]; r != nil {
			if s := trackWarning(newLoudness(*r)); s != "" {
				w = append(w, t.rel+": "+s)
			}
		}
	}
	if b.mix.file.Loudness != nil && b.mix.file.Loudness.Warning != "" {
		w = append(w, "review mix: "+b.mix.file.Loudness.Warning)
	}
	return w
}

// publish zips the bundle when asked and renames the hidden folder into
// place. A cancel up to the rename leaves no bundle behind.
func (b *bundle) publish(ctx context.Context, rep *reporter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.zipPath != "" {
		rep.stage("zip")
		if err := writeZip(ctx, b.tmp, filepath.Base(b.out), b.zipPath, b.manifest.Files); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			os.Remove(b.zipPath)
			return err
		}
	}
	if err := os.Rename(b.tmp, b.out); err != nil {
		if b.zipPath != "" {
			os.Remove(b.zipPath)
		}
		return fmt.Errorf("export: %w", err)
	}
	return syncDir(b.parent)
}

// normalize reports whether the review mix is made and normalized.
func (b *bundle) normalize() bool { return b.has(MP3) && !b.opt.LoudnessOff }

// target is the review mix's loudness target in LUFS.
func (b *bundle) target() float64 {
	if b.opt.Loudness != 0 {
		return b.opt.Loudness
	}
	return DefaultLoudness
}

// tag is the review mix's ID3v2 tag: title, host and chapters.
func (b *bundle) tag() codec.Tag {
	return codec.Tag{Title: b.doc.Title, Artist: b.meta.Host, Chapters: id3Chapters(b.pub, b.public, b.frames)}
}
