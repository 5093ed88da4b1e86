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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/markers"
)

// MergeReportFile is the merge engine's report in a merged session folder;
// export copies its offsets and drift figures into the manifest.
const MergeReportFile = "merge-report.json"

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
func Run(ctx context.Context, opt Options, progress func(Progress)) (res Result, err error) {
	start := time.Now()
	if progress == nil {
		progress = func(Progress) {}
	}
	formats, err := checkOptions(&opt)
	if err != nil {
		return res, err
	}
	meta, err := session.Load(opt.Session)
	if err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	if meta.State.Unfinished() {
		return res, fmt.Errorf("%w: %s is %q (still recording, or left by a crash: run podmark recover %s first)", ErrUnfinished, filepath.Join(opt.Session, session.MetaFile), meta.State, opt.Session)
	}
	doc, warns, err := session.LoadDocWarnings(opt.Session)
	if err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	res.Warnings = append(res.Warnings, warns...)
	tracks, frames, err := loadTracks(opt.Session, meta)
	if err != nil {
		return res, err
	}
	if frames == 0 {
		return res, fmt.Errorf("%w: every track of %s is empty", ErrEmpty, opt.Session)
	}
	if doc.Frames < frames {
		doc.Frames = frames
	}
	var merge json.RawMessage
	if b, err := os.ReadFile(filepath.Join(opt.Session, MergeReportFile)); err == nil {
		if !json.Valid(b) {
			return res, fmt.Errorf("export: %s: not valid JSON", filepath.Join(opt.Session, MergeReportFile))
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return res, fmt.Errorf("export: %s: %w", MergeReportFile, err)
		}
		merge = compact.Bytes()
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("export: %w", err)
	}

	out := filepath.Clean(opt.Out)
	zipPath := ""
	if opt.Zip {
		zipPath = out + ".zip"
		if _, err := os.Lstat(zipPath); err == nil {
			return res, fmt.Errorf("%w: %s", ErrExists, zipPath)
		}
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	for _, d := range []string{"audio", "chapters", "editor", "notes"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return res, fmt.Errorf("export: %w", err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var files fileSet
	public := opt.Public
	if public == nil {
		public = markers.DefaultPublic
	}

	// Audio jobs, the long part, in parallel: the mix (and waveform peaks)
	// first, then per track the WAV copy and the FLAC.
	type job struct {
		frames int64
		done   atomic.Int64
		run    func(done *atomic.Int64) error
	}
	var jobs []*job
	var mix mixResult
	mp3Rel := ""
	if slices.Contains(formats, MP3) {
		mp3Rel = "audio/review-mix.mp3"
	}
	tag := codec.Tag{Title: doc.Title, Artist: meta.Host, Chapters: id3Chapters(doc, public, frames)}
	mixBitrate := opt.MP3Bitrate
	if mixBitrate == 0 {
		mixBitrate = 128
	}
	jobs = append(jobs, &job{frames: frames, run: func(done *atomic.Int64) error {
		p := ""
		if mp3Rel != "" {
			p = filepath.Join(tmp, filepath.FromSlash(mp3Rel))
		}
		r, err := mixPass(ctx, tracks, frames, waveCols(), p, tag, mixBitrate, done)
		if err != nil {
			return err
		}
		mix = r
		if mp3Rel != "" {
			r.file.Path = mp3Rel
			r.file.Source = strings.Join(trackRels(tracks), " + ")
			files.add(r.file)
		}
		return nil
	}})
	for _, t := range tracks {
		wavRel, flacRel := "", ""
		if slices.Contains(formats, WAV) {
			wavRel = "audio/" + t.name + ".wav"
		}
		if slices.Contains(formats, FLAC) {
			if t.info.Format == audio.Float32 {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: 32-bit float cannot be stored in FLAC losslessly; no FLAC made (the WAV is in the bundle)", t.rel))
			} else {
				flacRel = "audio/" + t.name + ".flac"
			}
		}
		if wavRel == "" && flacRel == "" {
			continue
		}
		jobs = append(jobs, &job{frames: t.info.Frames, run: func(done *atomic.Int64) error {
			abs := func(rel string) string {
				if rel == "" {
					return ""
				}
				return filepath.Join(tmp, filepath.FromSlash(rel))
			}
			wf, ff, err := trackJob(ctx, t, abs(wavRel), abs(flacRel), done)
			if err != nil {
				return err
			}
			if wavRel != "" {
				wf.Path = wavRel
				files.add(wf)
			}
			if flacRel != "" {
				ff.Path = flacRel
				files.add(ff)
			}
			return nil
		}})
	}
	var total int64
	for _, j := range jobs {
		total += j.frames
	}
	var stage atomic.Value
	stage.Store("audio")
	report := func() {
		var done int64
		for _, j := range jobs {
			done += j.done.Load()
		}
		p := Progress{Stage: stage.Load().(string), Done: done, Total: total, Elapsed: time.Since(start)}
		if total > 0 {
			p.Fraction = 0.97 * float64(done) / float64(total)
		}
		if p.Stage == "done" {
			p.Fraction = 1
		}
		progress(p)
	}
	report()

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	// Jobs start in order (the mix, the longest, first) as slots free up.
	sem := make(chan struct{}, workers)
	var (
		errOnce  sync.Once
		firstErr error
	)
	allDone := make(chan struct{})
	go func() {
		defer close(allDone)
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if ctx.Err() != nil {
					return
				}
				if err := j.run(&j.done); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}()
		}
	}()

	// The small files, while the audio jobs run.
	mfiles, mwarn, err := writeMarkerFiles(tmp, doc, public, opt, formats, tracks)
	res.Warnings = append(res.Warnings, mwarn...)
	if err != nil {
		cancel()
		<-allDone
		return res, err
	}
	for _, f := range mfiles {
		files.add(f)
	}

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-allDone:
			break wait
		case <-tick.C:
			report()
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return res, firstErr
	}

	// Files that need the audio results.
	stage.Store("waveform")
	report()
	names := make([]string, len(tracks))
	for i, t := range tracks {
		names[i] = t.name
	}
	var wm []waveMarker
	for _, m := range doc.Markers {
		wm = append(wm, waveMarker{Kind: string(m.Kind), Title: m.Title, Start: m.Sample, End: m.End})
	}
	var png bytes.Buffer
	if err := renderWaveform(&png, doc.Title, names, mix.peaks, frames, meta.Rate, wm); err != nil {
		return res, err
	}
	f, err := writeText(tmp, "waveform.png", png.Bytes(), RoleOverview, "png", "recording")
	if err != nil {
		return res, err
	}
	files.add(f)

	rppTracks := make([]rppTrack, len(tracks))
	for i, t := range tracks {
		format := WAV
		if !slices.Contains(formats, WAV) && slices.Contains(formats, FLAC) && t.info.Format != audio.Float32 {
			format = FLAC
		}
		rppTracks[i] = rppTrack{Name: t.name, File: "audio/" + t.name + "." + format, Format: format, Frames: t.info.Frames}
	}
	var rms []rppMarker
	for _, m := range doc.Markers {
		rms = append(rms, rppMarker{Kind: string(m.Kind), Title: m.Title, Start: m.Sample, End: m.End})
	}
	rppName := projectName(out) + ".rpp"
	if slices.Contains(formats, WAV) || slices.Contains(formats, FLAC) {
		f, err = writeText(tmp, rppName, writeRPP(doc.Title, meta.Rate, rppTracks, rms), RoleEditor, "rpp", "recording")
		if err != nil {
			return res, err
		}
		files.add(f)
	} else {
		rppName = ""
	}

	stage.Store("manifest")
	report()
	m := Manifest{
		Bundle: BundleVersion, App: "podmark", AppVersion: session.AppVersion, Created: time.Now().UTC().Truncate(time.Millisecond),
		Session: SessionInfo{
			Title: doc.Title, Host: meta.Host, Folder: filepath.Base(filepath.Clean(opt.Session)), StartUTC: meta.StartUTC,
			Rate: meta.Rate, Bits: meta.Bits, Tracks: len(tracks), Frames: frames, Duration: audio.SampleRate(meta.Rate).Seconds(frames),
			State: string(meta.State), Dropped: meta.Dropped, Glitches: meta.Glitches, Markers: len(doc.Markers),
			Chapters: len(doc.Public(public...).Chapters()), Merged: merge != nil, Timeline: "recording",
		},
		Merge: merge,
	}
	for _, k := range public {
		m.Session.Public = append(m.Session.Public, string(k))
	}
	if opt.Offset != 0 || len(opt.Cuts) > 0 {
		m.Session.Timeline = "episode"
		ri := &RetimeInfo{Offset: opt.Offset.Seconds()}
		for _, c := range opt.Cuts {
			ri.Cuts = append(ri.Cuts, [2]float64{c.Start.Seconds(), c.End.Seconds()})
		}
		m.Retime = ri
	}
	if mix.limited > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("review mix: the limiter reduced %d samples (%.2f%%) to stay under %.0f dBFS", mix.limited, 100*float64(mix.limited)/float64(max(frames, 1)), LimitDBFS))
	}
	m.Session.Warnings = res.Warnings
	readme := writeReadme(m, files.sorted(), rppName)
	f, err = writeText(tmp, "README.txt", readme, RoleReadme, "txt", "")
	if err != nil {
		return res, err
	}
	files.add(f)
	m.Files = files.sorted()
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return res, fmt.Errorf("export: manifest: %w", err)
	}
	mf, err := writeText(tmp, ManifestFile, append(mb, '\n'), "", "json", "")
	if err != nil {
		return res, err
	}
	if _, err := writeText(tmp, ManifestSumFile, []byte(mf.SHA256+"  "+ManifestFile+"\n"), "", "sha256", ""); err != nil {
		return res, err
	}
	if err := syncDirs(tmp); err != nil {
		return res, err
	}

	// A cancel during the later stages still leaves no bundle behind.
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if zipPath != "" {
		stage.Store("zip")
		report()
		if err := writeZip(ctx, tmp, filepath.Base(out), zipPath, m.Files); err != nil {
			return res, err
		}
		if err := ctx.Err(); err != nil {
			os.Remove(zipPath)
			return res, err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if zipPath != "" {
			os.Remove(zipPath)
		}
		return res, fmt.Errorf("export: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return res, err
	}
	stage.Store("done")
	report()
	res.Dir, res.Zip, res.Manifest, res.Elapsed = out, zipPath, m, time.Since(start)
	return res, nil
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

// id3Chapters turns the public markers into MP3 chapters on the recording
// timeline: each ends where the next begins, the last at the end of the
// audio; markers past the end or sharing a start are left out.
func id3Chapters(doc markers.Doc, public []markers.Kind, frames int64) []codec.Chapter {
	rate := audio.SampleRate(doc.Rate)
	var ms []markers.Marker
	for _, m := range doc.Markers {
		if slices.Contains(public, m.Kind) && m.Sample >= 0 && m.Sample < frames {
			if len(ms) > 0 && rate.D(ms[len(ms)-1].Sample)/time.Millisecond == rate.D(m.Sample)/time.Millisecond {
				ms[len(ms)-1] = m // the later one wins a shared millisecond
				continue
			}
			ms = append(ms, m)
		}
	}
	out := make([]codec.Chapter, 0, min(len(ms), 255))
	for i, m := range ms {
		if i == 255 {
			break
		}
		end := frames
		if i+1 < len(ms) {
			end = ms[i+1].Sample
		}
		out = append(out, codec.Chapter{ID: fmt.Sprintf("chp%d", i), Title: m.Title, URL: asciiURL(m.URL), Start: rate.D(m.Sample), End: rate.D(end)})
	}
	return out
}

// asciiURL percent-encodes the non-ASCII bytes of a URL for the ID3 WXXX frame.
func asciiURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		if c := u[i]; c >= 0x80 || c < 0x20 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
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
