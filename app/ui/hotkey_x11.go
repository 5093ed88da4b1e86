//go:build linux && cgo

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

static int grabFailed;

static int onGrabError(Display *d, XErrorEvent *e) {
	(void)d;
	if (e->error_code == BadAccess) grabFailed = 1;
	return 0;
}

// grab grabs keycode+mods on the root window with every NumLock/CapsLock
// variant; returns 0 on success, -1 when another client holds the chord.
static int grab(Display *d, int keycode, unsigned int mods) {
	Window root = DefaultRootWindow(d);
	unsigned int extra[] = {0, LockMask, Mod2Mask, LockMask | Mod2Mask};
	XErrorHandler old = XSetErrorHandler(onGrabError);
	grabFailed = 0;
	for (int i = 0; i < 4; i++)
		XGrabKey(d, keycode, mods | extra[i], root, False, GrabModeAsync, GrabModeAsync);
	XSync(d, False);
	XSetErrorHandler(old);
	if (grabFailed) {
		for (int i = 0; i < 4; i++)
			XUngrabKey(d, keycode, mods | extra[i], root);
		XSync(d, False);
		return -1;
	}
	return 0;
}

// waitKey blocks until a key press on d or until wake becomes readable;
// returns 1 and fills keycode/state on a press, 0 when woken, -1 when the
// connection broke. It never wakes by itself: a cgo call that returns on a
// timeout would wake the process (and the Go runtime's monitor thread,
// which polls every 20 µs for a while after each such call) for nothing.
static int waitKey(Display *d, int wake, int *keycode, unsigned int *state) {
	for (;;) {
		while (XPending(d) > 0) {
			XEvent ev;
			XNextEvent(d, &ev);
			if (ev.type == KeyPress) {
				*keycode = ev.xkey.keycode;
				*state = ev.xkey.state & (ShiftMask | ControlMask | Mod1Mask | Mod4Mask);
				return 1;
			}
		}
		struct pollfd p[2] = {{ .fd = ConnectionNumber(d), .events = POLLIN }, { .fd = wake, .events = POLLIN }};
		int n = poll(p, 2, -1);
		if (n < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		if (p[1].revents) return 0;
		if (p[0].revents & (POLLERR | POLLHUP)) return -1;
	}
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

type x11Hotkeys struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// wake is written to by Close: it ends the grabber's wait (wakeR).
	wakeR, wake *os.File
}

type x11Grab struct {
	keycode C.int
	mods    C.uint
	action  Action
}

func x11Mods(m Mods) C.uint {
	var x C.uint
	if m&ModCtrl != 0 {
		x |= C.ControlMask
	}
	if m&ModAlt != 0 {
		x |= C.Mod1Mask
	}
	if m&ModShift != 0 {
		x |= C.ShiftMask
	}
	if m&ModSuper != 0 {
		x |= C.Mod4Mask
	}
	return x
}

func grabHotkeys(chords map[Action]Chord, fire func(Action)) (Hotkeys, error) {
	ready := make(chan error, 1)
	wakeR, wake, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("ui: hotkeys: %w", err)
	}
	h := &x11Hotkeys{stop: make(chan struct{}), done: make(chan struct{}), wakeR: wakeR, wake: wake}
	wakeFd := C.int(wakeR.Fd())
	go func() {
		// One OS thread owns this private X connection for its whole life.
		runtime.LockOSThread()
		defer close(h.done)
		defer wakeR.Close()
		d := C.XOpenDisplay(nil)
		if d == nil {
			ready <- fmt.Errorf("%w: cannot open the X display", ErrHotkeysUnsupported)
			return
		}
		defer C.XCloseDisplay(d)
		var grabs []x11Grab
		var errs []error
		for a := Action(0); a < numActions; a++ {
			c, ok := chords[a]
			if !ok {
				continue
			}
			name := C.CString(c.Key)
			sym := C.XStringToKeysym(name)
			C.free(unsafe.Pointer(name))
			if sym == C.NoSymbol {
				errs = append(errs, fmt.Errorf("ui: hotkey %s for %s: unknown key %q", c, a, c.Key))
				continue
			}
			kc := C.XKeysymToKeycode(d, sym)
			if kc == 0 {
				errs = append(errs, fmt.Errorf("ui: hotkey %s for %s: key %q is not on this keyboard", c, a, c.Key))
				continue
			}
			g := x11Grab{keycode: C.int(kc), mods: x11Mods(c.Mods), action: a}
			if C.grab(d, g.keycode, g.mods) != 0 {
				errs = append(errs, fmt.Errorf("ui: hotkey %s for %s is taken by another program", c, a))
				continue
			}
			grabs = append(grabs, g)
		}
		ready <- errors.Join(errs...)
		var kc C.int
		var st C.uint
		for {
			select {
			case <-h.stop:
				return
			default:
			}
			switch C.waitKey(d, wakeFd, &kc, &st) {
			case 1:
				for _, g := range grabs {
					if g.keycode == kc && g.mods == st {
						fire(g.action)
						break
					}
				}
			case -1:
				return
			}
		}
	}()
	err = <-ready
	if errors.Is(err, ErrHotkeysUnsupported) {
		<-h.done
		return nil, errors.Join(err, wake.Close())
	}
	return h, err
}

// Close releases the grabs (closing the X connection ungrabs them).
func (h *x11Hotkeys) Close() error {
	var err error
	h.once.Do(func() {
		close(h.stop)
		select {
		case <-h.done: // the X connection broke: nobody reads the pipe
		default:
			if _, werr := h.wake.Write([]byte{0}); werr != nil {
				err = fmt.Errorf("ui: release hotkeys: %w", werr)
			}
			<-h.done
		}
		if cerr := h.wake.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("ui: release hotkeys: %w", cerr)
		}
	})
	<-h.done
	return err
}
