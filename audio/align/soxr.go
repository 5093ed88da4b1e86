package align

// #cgo pkg-config: soxr
// #include <stdlib.h>
// #include <soxr.h>
//
// static soxr_t pm_soxr_new(double in, double out, int vhq, char const **errp) {
// 	soxr_error_t err = 0;
// 	soxr_quality_spec_t q = soxr_quality_spec(vhq ? SOXR_VHQ : SOXR_HQ, SOXR_HI_PREC_CLOCK);
// 	soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
// 	soxr_runtime_spec_t rt = soxr_runtime_spec(1);
// 	soxr_t s = soxr_create(in, out, 1, &err, &io, &q, &rt);
// 	*errp = err;
// 	return s;
// }
//
// static char const *pm_soxr_process(soxr_t s, float const *in, size_t ilen, size_t *idone, float *out, size_t olen, size_t *odone) {
// 	return soxr_process(s, in, ilen, idone, out, olen, odone);
// }
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrResamplerClosed is returned by a Resampler used after Close.
var ErrResamplerClosed = errors.New("align: resampler closed")

// Quality selects the libsoxr recipe.
type Quality int

const (
	// HQ is libsoxr's 20-bit "high quality" recipe (linear phase, 0.913 of
	// Nyquist preserved, stop band at Nyquist), with the high-precision
	// clock for irrational ratios such as 1.00012.
	HQ Quality = iota
	// VHQ is libsoxr's 28-bit "very high quality" recipe.
	VHQ
)

// Resampler converts one mono float32 stream from one rate to another with
// libsoxr. Rates are float64, so a clock drift is expressed exactly: to turn
// a track whose clock runs k times too fast into the reference clock, use
// NewResampler(rate, rate/k, HQ). The output is delay compensated: output
// sample m is the input at time m/outRate. A Resampler is not safe for
// concurrent use; separate Resamplers are independent.
type Resampler struct {
	s       C.soxr_t
	in, out float64
}

// NewResampler returns a mono libsoxr stream resampler.
func NewResampler(inRate, outRate float64, q Quality) (*Resampler, error) {
	if !(inRate > 0) || !(outRate > 0) {
		return nil, fmt.Errorf("align: resample %g Hz to %g Hz: rates must be positive", inRate, outRate)
	}
	vhq := C.int(0)
	if q == VHQ {
		vhq = 1
	}
	var cerr *C.char
	s := C.pm_soxr_new(C.double(inRate), C.double(outRate), vhq, &cerr)
	if cerr != nil {
		if s != nil {
			C.soxr_delete(s)
		}
		return nil, fmt.Errorf("align: soxr_create %g Hz to %g Hz: %s", inRate, outRate, C.GoString(cerr))
	}
	return &Resampler{s: s, in: inRate, out: outRate}, nil
}

// Process feeds in and writes resampled samples to out. It returns how many
// input samples were consumed and how many output samples were written; call
// it again with the rest of in when consumed < len(in). A nil or empty in
// with end set flushes the tail held in the filter.
func (r *Resampler) Process(in, out []float32, end bool) (consumed, produced int, err error) {
	if r.s == nil {
		return 0, 0, ErrResamplerClosed
	}
	var idone, odone C.size_t
	var ip *C.float
	if len(in) > 0 {
		ip = (*C.float)(unsafe.Pointer(&in[0]))
	}
	var op *C.float
	if len(out) > 0 {
		op = (*C.float)(unsafe.Pointer(&out[0]))
	}
	if end && len(in) == 0 {
		ip = nil // end of input
	}
	cerr := C.pm_soxr_process(r.s, ip, C.size_t(len(in)), &idone, op, C.size_t(len(out)), &odone)
	if cerr != nil {
		return int(idone), int(odone), fmt.Errorf("align: soxr_process: %s", C.GoString(cerr))
	}
	return int(idone), int(odone), nil
}

// Close frees the libsoxr stream. It is safe to call twice.
func (r *Resampler) Close() error {
	if r.s != nil {
		C.soxr_delete(r.s)
		r.s = nil
	}
	return nil
}

// Resample converts a whole mono buffer from inRate to outRate and returns
// exactly round(len(in)*outRate/inRate) samples.
func Resample(in []float32, inRate, outRate float64, q Quality) ([]float32, error) {
	r, err := NewResampler(inRate, outRate, q)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	want := int(float64(len(in))*outRate/inRate + 0.5)
	out := make([]float32, want)
	n := 0
	rest := in
	for {
		end := len(rest) == 0
		c, p, err := r.Process(rest, out[n:], end)
		if err != nil {
			return nil, err
		}
		rest = rest[c:]
		n += p
		if n >= want || (end && p == 0) {
			break
		}
	}
	return out[:n], nil
}
