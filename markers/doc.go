// Package markers is podmark's marker model: the live journal a recording
// session appends to (markers.jsonl), the canonical markers.json document, the
// chapter and editor formats it converts to and from, validation, retiming
// and transcript seeding.
//
// Positions are sample offsets on the session's own clock; seconds are derived
// with the document's sample rate only when a format needs them.
//
// Reading files other tools wrote is tolerant and never silent: Read and
// ReadTranscript accept byte order marks, CRLF, UTF-16 and (with a warning)
// Windows-1252, the shapes real tools write (documented per reader in
// docs/markers.md, and kept as a compatibility corpus under testdata/compat),
// and refuse the rest with a *SyntaxError naming the format, file and line.
// ReadWith and ReadFileWith return the warnings (a legacy encoding, skipped
// blocks, the episode of a feed that was read).
//
// One time formatter, Clock, writes every H:MM:SS form podmark shows, and
// Doc.TOC and Doc.ID3Chapters are the one derivation of the chapters a
// target carries.
//
// The package imports only the standard library.
package markers
