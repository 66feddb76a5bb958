package rotation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// A Key is the HMAC key of one root's window. It is safe for concurrent use;
// its MAC methods reuse keyed HMAC states, so they do not allocate.
//
// A Key redacts itself when printed or logged: only its id shows.
type Key struct {
	id     string
	rootID string
	window Window
	alg    Algorithm
	secret *material
	macs   *sync.Pool // of *macState; a pointer, so a Key value copies no lock
}

// A macState is a keyed HMAC and a buffer for its sums, pooled together so
// that computing or checking a MAC allocates nothing.
type macState struct {
	h   hash.Hash
	sum [64]byte
}

func newKey(root *Root, alg Algorithm, w Window, secret []byte) *Key {
	k := &Key{id: KeyID(root.id, w.index), rootID: root.id, window: w, alg: alg, secret: &material{b: secret}, macs: new(sync.Pool)}
	k.macs.New = func() any { return &macState{h: hmac.New(alg.Hash(), k.secret.b)} }
	return k
}

// ID returns the key id, the value of a JWT's "kid" header.
func (k *Key) ID() string { return k.id }

// RootID returns the id of the root the key was derived from.
func (k *Key) RootID() string { return k.rootID }

// Window returns the key's window.
func (k *Key) Window() Window { return k.window }

// Algorithm returns the HMAC algorithm the key is for.
func (k *Key) Algorithm() Algorithm { return k.alg }

// AppendMAC appends the MAC of msg under the key to dst and returns the
// extended slice.
func (k *Key) AppendMAC(dst, msg []byte) []byte {
	st := k.macs.Get().(*macState)
	st.h.Reset()
	st.h.Write(msg)
	dst = append(dst, st.h.Sum(st.sum[:0])...)
	k.macs.Put(st)
	return dst
}

// Verify reports, in constant time, whether mac is the MAC of msg under the
// key. It does not allocate.
func (k *Key) Verify(msg, mac []byte) bool {
	st := k.macs.Get().(*macState)
	st.h.Reset()
	st.h.Write(msg)
	ok := hmac.Equal(st.h.Sum(st.sum[:0]), mac)
	k.macs.Put(st)
	return ok
}

// Bytes returns a copy of the raw key. jwtrot never needs it; it exists to
// hand a window key to another JWT library in a test or an interop check.
// Whoever holds it can sign tokens for the window.
func (k *Key) Bytes() []byte { return append([]byte(nil), k.secret.b...) }

// Fingerprint returns a short, non-secret identifier of the key material: the
// first 8 hex digits of SHA-256("jwtrot fingerprint" || key), for telling
// keys apart in a log or a demo without revealing them.
func (k *Key) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte("jwtrot fingerprint"))
	h.Write(k.secret.b)
	return hex.EncodeToString(h.Sum(nil)[:4])
}
