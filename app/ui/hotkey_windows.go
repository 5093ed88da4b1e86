//go:build windows

// Global hotkeys on Windows are RegisterHotKey's (user32), not X11's
// XGrabKey (hotkey_x11.go): they fire while the call app has the focus.

package ui

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32              = windows.NewLazySystemDLL("user32.dll")
	procRegisterHotKey  = user32.NewProc("RegisterHotKey")
	procUnregisterHotKy = user32.NewProc("UnregisterHotKey")
	procGetMessage      = user32.NewProc("GetMessageW")
	procPeekMessage     = user32.NewProc("PeekMessageW")
	procPostThreadMsg   = user32.NewProc("PostThreadMessageW")
)

const (
	wmQuit   = 0x0012
	wmHotkey = 0x0312
	wmUser   = 0x0400
	pmNoRemv = 0x0000
)

// winMsg is Windows' MSG.
type winMsg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	x, y    int32
	private uint32
}

type winHotkeys struct {
	thread uint32 // the OS thread whose message queue gets WM_HOTKEY
	done   chan struct{}
	once   sync.Once
}

func grabHotkeys(chords map[Action]Chord, fire func(Action)) (Hotkeys, error) {
	if err := procRegisterHotKey.Find(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHotkeysUnsupported, err)
	}
	ready := make(chan error, 1)
	h := &winHotkeys{done: make(chan struct{})}
	go func() {
		// RegisterHotKey with no window posts WM_HOTKEY to the calling
		// thread's queue: one locked OS thread registers and waits.
		runtime.LockOSThread()
		defer close(h.done)
		h.thread = windows.GetCurrentThreadId()
		var m winMsg
		// Makes the thread's message queue, so that Close's
		// PostThreadMessage always reaches it.
		procPeekMessage.Call(uintptr(unsafe.Pointer(&m)), 0, wmUser, wmUser, pmNoRemv)
		var ids []Action
		var errs []error
		for a := Action(0); a < numActions; a++ {
			c, ok := chords[a]
			if !ok {
				continue
			}
			vk, ok := windowsVK(c.Key)
			if !ok {
				errs = append(errs, fmt.Errorf("ui: hotkey %s for %s: unknown key %q", c, a, c.Key))
				continue
			}
			// The id is the action plus one (0 is not a valid id).
			if r, _, err := procRegisterHotKey.Call(0, uintptr(a)+1, uintptr(windowsMods(c.Mods)), uintptr(vk)); r == 0 {
				if errors.Is(err, windows.Errno(1409)) { // ERROR_HOTKEY_ALREADY_REGISTERED
					errs = append(errs, fmt.Errorf("ui: hotkey %s for %s is taken by another program", c, a))
				} else {
					errs = append(errs, fmt.Errorf("ui: hotkey %s for %s: %v", c, a, err))
				}
				continue
			}
			ids = append(ids, a)
		}
		defer func() {
			for _, a := range ids {
				procUnregisterHotKy.Call(0, uintptr(a)+1)
			}
		}()
		ready <- errors.Join(errs...)
		for {
			r, _, _ := procGetMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT (Close) or an error
				return
			}
			if m.message == wmHotkey && m.wParam >= 1 && m.wParam <= uintptr(numActions) {
				fire(Action(m.wParam - 1))
			}
		}
	}()
	return h, <-ready
}

// Close unregisters the hotkeys and ends their thread.
func (h *winHotkeys) Close() error {
	h.once.Do(func() { procPostThreadMsg.Call(uintptr(h.thread), wmQuit, 0, 0) })
	<-h.done
	return nil
}
