package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// ErrNotBundle reports a folder without a readable manifest.json.
var ErrNotBundle = errors.New("export: not a podmark bundle")

// Problem is one thing wrong with one file of a bundle.
type Problem struct {
	Path string // slash separated, relative to the bundle
	Msg  string
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// Report is the result of Verify.
type Report struct {
	Files    int   // files listed in the manifest
	Bytes    int64 // bytes hashed
	Decoded  int   // audio files decoded in full
	Measured int   // of which had their loudness figures re-measured and matching
	Problems []Problem
	Warnings []string // files present but not listed
}

// OK reports whether every file matched the manifest and decoded.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify re-checks a bundle against its manifest: every file's size and
// SHA-256, and every audio file decoded in full (WAV through the audio
// reader, FLAC through libFLAC with its frame CRCs and MD5 signature and
// compared sample for sample with the WAV of the same track, MP3 by walking
// every frame and checking LAME's music checksum), and the loudness figures
// recorded in the manifest checked against a fresh measurement of the
// decoded audio (within LoudnessTolerance and PeakTolerance). Files run in
// parallel.
// The error is for a bundle that cannot be checked at all; problems with
// files are in the Report.
func Verify(bundle string) (Report, error) {
	return VerifyContext(context.Background(), bundle)
}

// VerifyContext is Verify with cancellation. The steps: read the manifest
// (checked against manifest.sha256), keep the entries with safe paths,
// hash every file, decode the audio, list the files nobody listed.
func VerifyContext(ctx context.Context, bundle string) (Report, error) {
	var rep Report
	m, problems, ok, err := readCheckedManifest(bundle)
	rep.Problems = problems
	if err != nil || !ok {
		return rep, err
	}
	rep.Files = len(m.Files)
	v := &verifier{ctx: ctx, bundle: bundle, rep: &rep, listed: safeEntries(m.Files, &rep)}
	// Phase 1 hashes every file; phase 2 decodes the audio, comparing a
	// FLAC with its WAV only when the WAV itself is intact (so a damaged
	// WAV is not blamed on the FLAC).
	v.intact = map[string]bool{}
	parallel(ctx, v.listed, v.hashOne)
	parallel(ctx, v.listed, v.decodeOne)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if rep.Warnings, err = unlisted(bundle, v.listed); err != nil {
		return rep, err
	}
	sortProblems(rep.Problems)
	sort.Strings(rep.Warnings)
	return rep, nil
}

// safeEntries maps the manifest's files by path, reporting any path that
// is not a clean path inside the bundle.
func safeEntries(files []File, rep *Report) map[string]File {
	listed := map[string]File{}
	for _, f := range files {
		clean := path.Clean(f.Path)
		if f.Path == "" || clean != f.Path || path.IsAbs(clean) || strings.HasPrefix(clean, "../") || clean == ".." {
			rep.Problems = append(rep.Problems, Problem{f.Path, "unsafe path in the manifest"})
			continue
		}
		listed[f.Path] = f
	}
	return listed
}

// verifier is one Verify run: its per-file steps run in parallel and
// report through mu.
type verifier struct {
	ctx    context.Context
	bundle string
	listed map[string]File
	mu     sync.Mutex
	rep    *Report
	intact map[string]bool // files whose size and SHA-256 match
}

func (v *verifier) problem(p, format string, args ...any) {
	v.mu.Lock()
	v.rep.Problems = append(v.rep.Problems, Problem{p, fmt.Sprintf(format, args...)})
	v.mu.Unlock()
}

// hashOne checks one file's size and SHA-256.
func (v *verifier) hashOne(f File) {
	n, sum, err := hashFile(filepath.Join(v.bundle, filepath.FromSlash(f.Path)))
	v.mu.Lock()
	v.rep.Bytes += n
	v.mu.Unlock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.problem(f.Path, "missing")
	case err != nil:
		v.problem(f.Path, "%v", err)
	case n != f.Size:
		v.problem(f.Path, "size %d bytes, the manifest says %d: the file was changed or damaged", n, f.Size)
	case sum != f.SHA256:
		v.problem(f.Path, "SHA-256 %s, the manifest says %s: the file was changed or damaged", sum, f.SHA256)
	default:
		v.mu.Lock()
		v.intact[f.Path] = true
		v.mu.Unlock()
	}
}

// decodeOne decodes one file that exists (decodeCheck) and counts it.
func (v *verifier) decodeOne(f File) {
	if _, err := os.Stat(filepath.Join(v.bundle, filepath.FromSlash(f.Path))); err != nil {
		return // already reported
	}
	// Phase 1 is over: intact is only read now.
	if err := decodeCheck(v.ctx, v.bundle, f, v.listed, v.intact); err != nil {
		v.problem(f.Path, "%v", err)
	} else if f.Role == RoleTrack || f.Role == RoleMix {
		v.mu.Lock()
		v.rep.Decoded++
		if f.Loudness != nil {
			v.rep.Measured++
		}
		v.mu.Unlock()
	}
}

// sortProblems orders problems: the manifest's own first, then by path
// and message.
func sortProblems(ps []Problem) {
	sort.Slice(ps, func(i, j int) bool {
		mi, mj := isManifest(ps[i].Path), isManifest(ps[j].Path)
		if mi != mj {
			return mi
		}
		if ps[i].Path != ps[j].Path {
			return ps[i].Path < ps[j].Path
		}
		return ps[i].Msg < ps[j].Msg
	})
}

// readCheckedManifest reads the bundle's manifest after checking it against
// manifest.sha256. ok is false when a damaged manifest (reported in
// problems) cannot be read.
func readCheckedManifest(bundle string) (m Manifest, problems []Problem, ok bool, err error) {
	mpath := filepath.Join(bundle, ManifestFile)
	b, err := os.ReadFile(mpath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, nil, false, fmt.Errorf("%w: %s is missing (an unfinished export?)", ErrNotBundle, mpath)
		}
		return m, nil, false, fmt.Errorf("export: %w", err)
	}
	// The manifest's own checksum first, so that damage to it is reported
	// as such and not as damage to the files it describes.
	manifestOK := true
	sums, err := os.ReadFile(filepath.Join(bundle, ManifestSumFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, Problem{ManifestSumFile, "missing"})
	case err != nil:
		return m, problems, false, fmt.Errorf("export: %w", err)
	default:
		want, name, _ := strings.Cut(strings.TrimSpace(string(sums)), "  ")
		h := sha256.Sum256(b)
		if got := hex.EncodeToString(h[:]); name != ManifestFile || got != want {
			manifestOK = false
			problems = append(problems, Problem{ManifestFile, fmt.Sprintf("SHA-256 %s, %s says %s: the manifest was changed or damaged (the problems listed for other files may come from it)", got, ManifestSumFile, want)})
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		if !manifestOK {
			return m, problems, false, nil // reported above
		}
		return m, problems, false, fmt.Errorf("%w: %s: %v", ErrNotBundle, mpath, err)
	}
	if m.Bundle < 1 || m.Bundle > BundleVersion {
		return m, problems, false, fmt.Errorf("%w: %s: podmark_bundle %d (this podmark reads 1..%d)", ErrNotBundle, mpath, m.Bundle, BundleVersion)
	}
	return m, problems, true, nil
}

// unlisted lists the bundle's files that the manifest does not.
func unlisted(bundle string, listed map[string]File) ([]string, error) {
	var out []string
	err := filepath.WalkDir(bundle, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(bundle, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := listed[rel]; !ok && rel != ManifestFile && rel != ManifestSumFile {
			out = append(out, rel+": not in the manifest")
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("export: %w", err)
	}
	return out, nil
}

// decodeCheck decodes an audio file in full and checks it against the
// manifest entry.
func decodeCheck(ctx context.Context, bundle string, f File, listed map[string]File, intact map[string]bool) error {
	full := filepath.Join(bundle, filepath.FromSlash(f.Path))
	switch {
	case f.Role == RoleTrack && f.Format == "wav":
		r, err := audio.OpenWAV(full)
		if err != nil {
			return err
		}
		defer r.Close()
		info := r.Info()
		if err := checkShape(f, int(info.Rate), info.Channels, info.Frames); err != nil {
			return err
		}
		lm, err := newLoudnessCheck(f, info.Channels)
		if err != nil {
			return err
		}
		defer lm.close()
		if err := decodeAll(ctx, f, lm.float32(r.ReadFloat32), make([]float32, blockFrames*info.Channels), info.Channels); err != nil {
			return err
		}
		return lm.check()
	case f.Role == RoleTrack && f.Format == "flac":
		wavRel := strings.TrimSuffix(f.Path, ".flac") + ".wav"
		if w, ok := listed[wavRel]; ok && w.Format == "wav" && intact[wavRel] {
			// Decoded in full and compared with the recorded samples.
			if err := compareFLAC(ctx, filepath.Join(bundle, filepath.FromSlash(wavRel)), full, func(int64) {}); err != nil {
				return err
			}
			if w.Frames != f.Frames || w.Rate != f.Rate || w.Channels != f.Channels {
				return fmt.Errorf("the manifest says %d Hz, %d channel(s), %d frames; its WAV %d Hz, %d channel(s), %d frames", f.Rate, f.Channels, f.Frames, w.Rate, w.Channels, w.Frames)
			}
			// The same samples as the WAV, which is measured itself.
			if (f.Loudness == nil) != (w.Loudness == nil) || (f.Loudness != nil && *f.Loudness != *w.Loudness) {
				return fmt.Errorf("loudness %s, its WAV (the same samples) %s", loudnessString(f.Loudness), loudnessString(w.Loudness))
			}
			return nil
		}
		// No intact WAV to compare with: decode in full, checking frame
		// CRCs and the MD5 signature.
		r, err := codec.OpenFLAC(full)
		if err != nil {
			return err
		}
		defer r.Close()
		info := r.Info()
		if err := checkShape(f, int(info.Rate), info.Channels, info.Frames); err != nil {
			return err
		}
		lm, err := newLoudnessCheck(f, info.Channels)
		if err != nil {
			return err
		}
		defer lm.close()
		if err := decodeAll(ctx, f, lm.int32(r.ReadInt32, info.Bits), make([]int32, blockFrames*info.Channels), info.Channels); err != nil {
			return err
		}
		return lm.check()
	case f.Format == "mp3":
		file, err := os.Open(full)
		if err != nil {
			return err
		}
		defer file.Close()
		info, err := codec.ScanMP3(file)
		if err != nil {
			return err
		}
		if err := checkShape(f, info.Rate, info.Channels, info.Samples); err != nil {
			return err
		}
		// The decoder gives the (identical) channels' average: measured as
		// mono and compared as dual mono.
		lm, err := newLoudnessCheck(f, 1)
		if err != nil {
			return err
		}
		defer lm.close()
		if err := decodeMP3(full, f.Frames, lm.write); err != nil {
			return err
		}
		return lm.check()
	case f.Format == "json":
		b, err := os.ReadFile(full)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return errors.New("not valid JSON")
		}
	}
	return nil
}

// decodeAll reads a decoder to its end with buf and checks the frame count
// against the manifest entry.
func decodeAll[T int32 | float32](ctx context.Context, f File, read func([]T) (int, error), buf []T, channels int) error {
	var frames int64
	for {
		n, err := read(buf)
		frames += int64(n / channels)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if frames != f.Frames {
		return fmt.Errorf("decoded %d frames, the manifest says %d", frames, f.Frames)
	}
	return nil
}

func checkShape(f File, rate, ch int, frames int64) error {
	if rate != f.Rate || ch != f.Channels || frames != f.Frames {
		return fmt.Errorf("%d Hz, %d channel(s), %d frames; the manifest says %d Hz, %d channel(s), %d frames", rate, ch, frames, f.Rate, f.Channels, f.Frames)
	}
	return nil
}

// parallel runs fn on every file, one goroutine per CPU.
func parallel(ctx context.Context, files map[string]File, fn func(File)) {
	work := make(chan File)
	var wg sync.WaitGroup
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if ctx.Err() == nil {
					fn(f)
				}
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
}

func isManifest(p string) bool { return p == ManifestFile || p == ManifestSumFile }
