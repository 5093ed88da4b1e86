package audio

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// refAppendFloat is the straightforward conversion appendFloat must match
// byte for byte: scale by 2^(bits-1), round half to even, clip, NaN → 0.
func refAppendFloat(b []byte, f SampleFormat, s []float32) []byte {
	for _, v := range s {
		switch f {
		case Int16, Int24:
			full := 32768.0
			if f == Int24 {
				full = 8388608
			}
			x := float64(v) * full
			var n int32
			switch {
			case x != x:
				n = 0
			case x >= full-1:
				n = int32(full - 1)
			case x <= -full:
				n = int32(-full)
			default:
				n = int32(math.RoundToEven(x))
			}
			b = append(b, byte(n), byte(n>>8))
			if f == Int24 {
				b = append(b, byte(n>>16))
			}
		case Float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

func conversionInputs() []float32 {
	in := []float32{0, -0, 1, -1, 0.5, -0.5, 2, -2, 1e-30, -1e-30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Nextafter32(1, 0), math.Nextafter32(-1, 0), math.Nextafter32(1, 2), math.Nextafter32(-1, -2),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32}
	// Exact ties at every depth: k + 0.5 steps of the integer scale.
	for _, full := range []float64{32768, 8388608} {
		for k := -6.0; k <= 6; k++ {
			in = append(in, float32((k+0.5)/full), float32((full-1.5)/full), float32((-full+0.5)/full))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		in = append(in, float32(r.Float64()*2.2-1.1), math.Float32frombits(r.Uint32()))
	}
	return in
}

func TestAppendFloatMatchesReference(t *testing.T) {
	in := conversionInputs()
	for _, f := range []SampleFormat{Int16, Int24, Float32} {
		// Every length up to 9 as well (loop tails), then everything.
		for n := 0; n <= 9; n++ {
			check(t, f, in[:n])
		}
		check(t, f, in)
	}
}

func check(t *testing.T, f SampleFormat, s []float32) {
	t.Helper()
	got := appendFloat(make([]byte, 3, 3+len(s)*f.BytesPerSample()), f, s)[3:]
	want := refAppendFloat(nil, f, s)
	if string(got) != string(want) {
		for i := range s {
			w := f.BytesPerSample()
			if string(got[i*w:(i+1)*w]) != string(want[i*w:(i+1)*w]) {
				t.Fatalf("format %v: sample %d (%g = %#08x): got % x, want % x", f, i, s[i], math.Float32bits(s[i]), got[i*w:(i+1)*w], want[i*w:(i+1)*w])
			}
		}
		t.Fatalf("format %v: lengths %d and %d", f, len(got), len(want))
	}
}

// BenchmarkAppendFloat converts one 1024-frame stereo buffer of speech-like
// levels per op; see docs/benchmarks.md.
func BenchmarkAppendFloat(b *testing.B) {
	for _, f := range []SampleFormat{Int16, Int24, Float32} {
		b.Run(f.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			in := make([]float32, 2048)
			for i := range in {
				in[i] = float32(r.NormFloat64() * 0.1)
			}
			buf := make([]byte, 0, len(in)*f.BytesPerSample())
			b.SetBytes(int64(len(in) * 4))
			for b.Loop() {
				buf = appendFloat(buf[:0], f, in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/sample")
		})
	}
}
