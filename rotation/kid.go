package rotation

import (
	"errors"
	"strconv"
)

// ErrKeyID is returned for a key id that is not the canonical spelling of a
// known root's id and a window index.
var ErrKeyID = errors.New("rotation: unknown key id")

// maxKidLen bounds a key id: a root id, the separator, and an int64.
const maxKidLen = maxRootIDLen + 1 + 20

// KeyID returns the key id of a root's window: the root id, a colon, and the
// window index in decimal with no leading zeros, no plus sign, and a minus
// sign only for negative indexes, as strconv.FormatInt writes it. For example
// "main:2946104" or "old:-3".
func KeyID(rootID string, index int64) string {
	return rootID + ":" + strconv.FormatInt(index, 10)
}

// parseKeyID splits a key id into its root id and window index, refusing
// every spelling other than the one [KeyID] writes. It does not allocate.
func parseKeyID(kid string) (rootID string, index int64, err error) {
	if len(kid) > maxKidLen {
		return "", 0, ErrKeyID
	}
	sep := -1
	for i := 0; i < len(kid); i++ {
		if kid[i] == ':' {
			sep = i
			break
		}
	}
	if sep < 0 || !validRootID(kid[:sep]) {
		return "", 0, ErrKeyID
	}
	index, ok := parseIndex(kid[sep+1:])
	if !ok {
		return "", 0, ErrKeyID
	}
	return kid[:sep], index, nil
}

// parseIndex parses the canonical decimal spelling of an int64: ASCII digits,
// an optional leading minus, no leading zeros, no "-0", no overflow.
func parseIndex(s string) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 || len(s) > 19 || (s[0] == '0' && (len(s) > 1 || neg)) {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // at most 19 digits: cannot wrap a uint64
	}
	switch {
	case !neg && u <= 1<<63-1:
		return int64(u), true
	case neg && u <= 1<<63:
		return -int64(u), true // -int64(1<<63) wraps to MinInt64, as intended
	}
	return 0, false
}
