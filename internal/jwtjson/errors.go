package jwtjson

// An Error refuses a header or a payload as malformed JSON, or as JSON
// with a registered claim of the wrong type or range. Its detail names the
// rule broken, never a value from the input. Package jwtrot reports it as
// its ErrMalformed.
type Error struct {
	Header bool   // the header was refused, not the claims
	Detail string // the rule broken, such as "duplicate member name"
}

// Error returns "claims: " or "header: " and the detail.
func (e *Error) Error() string {
	if e.Header {
		return "header: " + e.Detail
	}
	return "claims: " + e.Detail
}
