package jwtjson

import (
	"bytes"
	"unsafe"
)

// A Span is a JSON string's location in the input the scanner read: the
// raw bytes between its quotes, with flags for escapes and non-ASCII bytes.
// Its methods take that input.
type Span struct {
	Start, End int
	Escaped    bool
	ASCII      bool // no byte above 0x7f (escapes not considered)
}

// Text returns the string the span stands for, unescaped, in memory of its
// own.
func (sp Span) Text(p []byte) string {
	raw := p[sp.Start:sp.End]
	if !sp.Escaped {
		return string(raw)
	}
	return unquote(raw)
}

// View is Text without a copy when the span holds no escapes: the string
// shares p's bytes, so p must never be written again while it lives (a
// decoded payload buffer that nothing else holds, or a caller's stack
// buffer the string does not outlive).
func (sp Span) View(p []byte) string {
	if sp.Escaped {
		return unquote(p[sp.Start:sp.End])
	}
	raw := p[sp.Start:sp.End]
	return unsafe.String(unsafe.SliceData(raw), len(raw))
}

// Equal reports whether the span stands for exactly s, without allocating
// when it holds no escapes.
func (sp Span) Equal(p []byte, s string) bool {
	if !sp.Escaped {
		return string(p[sp.Start:sp.End]) == s
	}
	return unquote(p[sp.Start:sp.End]) == s
}

// EqualFold reports whether the span stands for s under Unicode simple case
// folding.
func (sp Span) EqualFold(p []byte, s string) bool {
	if !sp.Escaped {
		return bytes.EqualFold(p[sp.Start:sp.End], []byte(s))
	}
	return bytes.EqualFold([]byte(unquote(p[sp.Start:sp.End])), []byte(s))
}
