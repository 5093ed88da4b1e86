package main

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// child is a process a test starts (podmark record, podmark relay, …): its
// stdout lines go to a callback, its stderr to a buffer, and it is waited
// for exactly once, by the goroutine that reads stdout, after stdout has
// ended. Stopping it, killing it and the test's cleanup therefore never call
// Wait twice or race on the process state.
type child struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer // nil when the caller set cmd.Stderr itself
	exited chan struct{} // closed once the process has exited and been waited for
	err    error         // Wait's result; read it after exited is closed
}

// startChild starts cmd. Every stdout line goes to onLine (nil: dropped),
// then onEnd runs (nil: nothing) before the process is waited for. The test's
// cleanup kills the process if it is still running.
func startChild(t testing.TB, cmd *exec.Cmd, onLine func(line []byte), onEnd func()) *child {
	t.Helper()
	c := &child{cmd: cmd, exited: make(chan struct{})}
	if cmd.Stderr == nil {
		c.stderr = &lockedBuffer{}
		cmd.Stderr = c.stderr
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if onLine != nil {
				onLine(sc.Bytes())
			}
		}
		io.Copy(io.Discard, out) // a line too long for the scanner: drain, never block the child
		if onEnd != nil {
			onEnd()
		}
		c.err = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s (pid %d) did not exit 10 s after SIGKILL", cmd.Path, cmd.Process.Pid)
		}
	})
	return c
}

// wait waits up to within for the process to exit; ok is false on timeout.
func (c *child) wait(within time.Duration) (err error, ok bool) {
	select {
	case <-c.exited:
		return c.err, true
	case <-time.After(within):
		return nil, false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill(t testing.TB) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		select {
		case <-c.exited: // it had already exited
			return
		default:
			t.Fatal(err)
		}
	}
	if _, ok := c.wait(10 * time.Second); !ok {
		t.Fatalf("pid %d did not exit 10 s after SIGKILL", c.cmd.Process.Pid)
	}
}

// stderrText is what the child wrote to its stderr buffer so far.
func (c *child) stderrText() string {
	if c.stderr == nil {
		return ""
	}
	return c.stderr.String()
}

var servingRe = regexp.MustCompile(`serving (\w+://\S+),`)

// startRelayCmd starts a `podmark relay` command and returns it with the URL
// it says it serves on (nats://… or tls://…), once it has said so.
func startRelayCmd(t testing.TB, cmd *exec.Cmd) (*child, string) {
	t.Helper()
	urlc := make(chan string, 1)
	c := startChild(t, cmd, func(line []byte) {
		if m := servingRe.FindSubmatch(line); m != nil {
			select {
			case urlc <- string(m[1]):
			default:
			}
		}
	}, nil)
	select {
	case u := <-urlc:
		return c, u
	case <-c.exited:
		t.Fatalf("relay exited before serving: %v\n%s", c.err, c.stderrText())
	case <-time.After(30 * time.Second):
		t.Fatalf("relay did not start: %s", c.stderrText())
	}
	return nil, ""
}

// relayArgs is `podmark relay` on listen (127.0.0.1:0 for a free port) with
// its store in store, quiet, and any extra flags.
func relayArgs(listen, store string, extra ...string) []string {
	return append([]string{"relay", "--listen", listen, "--store", store, "--quiet"}, extra...)
}
