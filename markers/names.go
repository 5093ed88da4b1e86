package markers

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// oneLine makes a title safe for line-based formats: line breaks, tabs and
// other control characters become single spaces and the ends are trimmed.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = r == ' '
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// Slug derives an identifier from a title: ASCII lowercase letters and
// digits, other runs of characters collapsed to single hyphens, at most 48
// bytes. Letters with accents lose them where a plain letter is obvious;
// a title with no usable characters gives "".
func Slug(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range title {
		r = fold(r)
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r + 'a' - 'A')
		default:
			hyphen = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// foldTable maps common Latin letters with diacritics to their base letter.
var foldTable = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáâãäåāăą", 'c': "çćč", 'd': "ďđ", 'e': "èéêëēėęě", 'i': "ìíîïīį", 'l': "łľĺ",
		'n': "ñńň", 'o': "òóôõöøōő", 'r': "ŕř", 's': "śšş", 't': "ťţ", 'u': "ùúûüūůűų",
		'y': "ýÿ", 'z': "źżž",
	}
	m := map[rune]rune{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
		for _, r := range strings.ToUpper(letters) {
			m[r] = base - 'a' + 'A'
		}
	}
	m['ß'] = 's'
	return m
}()

// fold maps common Latin letters with diacritics to their base letter.
func fold(r rune) rune {
	if f, ok := foldTable[r]; ok {
		return f
	}
	return r
}

// FileName derives a file name stem from a title: any Unicode letters kept,
// path separators, characters Windows forbids (<>:"/\|?*) and control
// characters replaced with "_", leading and trailing dots and spaces
// trimmed, reserved device names (CON, NUL, COM1…) prefixed with "_", at
// most 80 bytes on a character boundary; "untitled" when nothing is left.
func FileName(title string) string {
	var b strings.Builder
	for _, r := range title {
		if unicode.IsControl(r) || strings.ContainsRune(`<>:"/\|?*`, r) || r == utf8.RuneError {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > 80 {
			break
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), ". ")
	if s == "" {
		return "untitled"
	}
	base, _, _ := strings.Cut(strings.ToUpper(s), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		s = "_" + s
	}
	return s
}
