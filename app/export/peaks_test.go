package export

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPeaksGather checks the column-run gathering against the definition
// (frame x in column x*cols/frames), block by block, for shapes where
// columns are shorter than, equal to and longer than a block, and a
// session shorter than the picture is wide.
func TestPeaksGather(t *testing.T) {
	for _, tc := range []struct {
		frames int64
		cols   int
		block  int
	}{
		{frames: 100000, cols: 1178, block: 16384},
		{frames: 1178, cols: 1178, block: 100},
		{frames: 500, cols: 1178, block: 7},
		{frames: 48000*3600 + 17, cols: 1178, block: 16384},
		{frames: 16384 * 3, cols: 3, block: 16384},
		{frames: 99991, cols: 97, block: 1},
	} {
		rng := rand.New(rand.NewPCG(uint64(tc.frames), uint64(tc.cols)))
		got := peaks{lo: make([]float32, tc.cols), hi: make([]float32, tc.cols)}
		want := peaks{lo: make([]float32, tc.cols), hi: make([]float32, tc.cols)}
		buf := make([]float32, tc.block)
		for pos := int64(0); pos < tc.frames; pos += int64(tc.block) {
			b := buf[:min(int64(tc.block), tc.frames-pos)]
			for k := range b {
				b[k] = rng.Float32()*2 - 1
			}
			got.gather(pos, b, tc.cols, tc.frames)
			for k, v := range b {
				col := int((pos + int64(k)) * int64(tc.cols) / tc.frames)
				want.lo[col] = min(want.lo[col], v)
				want.hi[col] = max(want.hi[col], v)
			}
			if end := tc.frames - tc.frames%int64(tc.block) - int64(tc.block); tc.frames > 1<<24 && pos > 1<<22 && pos < end {
				pos = end // the start and the end of an hour
			}
		}
		if !slices.Equal(got.lo, want.lo) || !slices.Equal(got.hi, want.hi) {
			t.Errorf("frames %d cols %d block %d: gathered peaks differ from the per-frame definition", tc.frames, tc.cols, tc.block)
		}
	}
}
