package session

import "strings"

// windowsReserved are the device names Windows reserves in every folder,
// whatever the case and whatever extension follows ("nul.txt" is the NUL
// device too). The digits include the superscripts ¹²³, which Windows also
// treats as COM and LPT port numbers.
var windowsReserved = func() map[string]bool {
	m := map[string]bool{"con": true, "prn": true, "aux": true, "nul": true, "conin$": true, "conout$": true}
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"} {
		m["com"+d], m["lpt"+d] = true, true
	}
	return m
}()

// windowsForbidden are the characters Windows does not allow in a file
// name, besides the control characters U+0000…U+001F.
const windowsForbidden = `<>:"/\|?*`

// WindowsSafeName makes name, one path element, a name Windows accepts,
// on every OS (a session folder made on Linux may be copied to a Windows
// machine): characters Windows forbids become '-', trailing dots and
// spaces (which Windows strips, so the name would change) are removed, and
// a reserved device name (CON, NUL, COM1, LPT¹… with any extension) gets
// a '_' after its stem so that it names a file. It returns fallback when
// nothing is left.
func WindowsSafeName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(windowsForbidden, r) {
			return '-'
		}
		return r
	}, name)
	name = strings.TrimRight(name, ". ")
	if name == "" {
		return fallback
	}
	stem, ext, _ := strings.Cut(name, ".")
	if windowsReserved[strings.ToLower(strings.TrimRight(stem, " "))] {
		name = strings.TrimRight(stem, " ") + "_"
		if ext != "" {
			name += "." + ext
		}
	}
	return name
}
