// Package codec encodes and decodes podmark's delivery formats: FLAC through
// libFLAC (lossless, at least as small as `flac -5`, with encoder verify and
// an MD5-checked decoder), MP3 through libmp3lame (with a correct LAME/Xing
// info frame), an ID3v2.3/2.4 tag writer with CHAP/CTOC chapters as the ID3v2
// Chapter Frame Addendum 1.0 defines them, and an MP3 frame walker that
// checks LAME's music checksum.
//
// It imports audio but neither markers nor Fyne: chapters come in as the
// neutral Chapter type. Encoders and decoders are not safe for concurrent
// use, but separate ones run fully in parallel (cgo calls do not serialise).
package codec
