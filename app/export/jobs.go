package export

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// job is one long audio job; done counts the frames it has processed.
type job struct {
	frames int64
	done   atomic.Int64
	run    func(done *atomic.Int64) error
}

// jobRunner runs jobs with at most a given number at once, in order (the
// longest first) as slots free up; the first error cancels the rest.
type jobRunner struct {
	jobs     []*job
	allDone  chan struct{}
	errOnce  sync.Once
	firstErr error
	ctx      context.Context
}

func startJobs(ctx context.Context, cancel context.CancelFunc, jobs []*job, workers int) *jobRunner {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	r := &jobRunner{jobs: jobs, allDone: make(chan struct{}), ctx: ctx}
	sem := make(chan struct{}, workers)
	go func() {
		defer close(r.allDone)
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
					r.errOnce.Do(func() { r.firstErr = err; cancel() })
				}
			}()
		}
	}()
	return r
}

// wait returns when every job has ended, calling tick (may be nil) ten
// times a second meanwhile, with the first job error or the context's.
func (r *jobRunner) wait(tick func()) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.allDone:
			if r.firstErr != nil {
				return r.firstErr
			}
			return r.ctx.Err()
		case <-t.C:
			if tick != nil {
				tick()
			}
		}
	}
}

// reporter turns the jobs' counters and the current stage into Progress.
type reporter struct {
	start    time.Time
	progress func(Progress)
	jobs     []*job
	cur      atomic.Value // string
}

func newReporter(start time.Time, progress func(Progress)) *reporter {
	if progress == nil {
		progress = func(Progress) {}
	}
	r := &reporter{start: start, progress: progress}
	r.cur.Store("audio")
	return r
}

func (r *reporter) stage(s string) {
	r.cur.Store(s)
	r.report()
}

func (r *reporter) report() {
	var done, total int64
	for _, j := range r.jobs {
		done += j.done.Load()
		total += j.frames
	}
	p := Progress{Stage: r.cur.Load().(string), Done: done, Total: total, Elapsed: time.Since(r.start)}
	if total > 0 {
		p.Fraction = 0.97 * float64(done) / float64(total)
	}
	if p.Stage == "done" {
		p.Fraction = 1
	}
	r.progress(p)
}
