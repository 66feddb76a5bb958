package rotation

import (
	"crypto/ed25519"
	"crypto/hmac"
	"hash"
	"runtime"
	"sync"
)

// A Key is the signing key of one root's window: an HMAC key, or for
// [EdDSA] an Ed25519 private key whose public half is [Key.Public]. It is
// safe for concurrent use; its HMAC methods reuse keyed HMAC states, so they
// do not allocate.
//
// A Key redacts itself when printed or logged: only its id shows.
type Key struct {
	id     string
	rootID string
	window Window
	alg    Algorithm
	secret *material      // the derived bytes: the HMAC key or the Ed25519 seed
	priv   *material      // EdDSA: the private key, seed and public key
	public *PublicKey     // EdDSA: the public half; nil for HMAC
	macs   *sync.Pool     // of *macState; a pointer, so a Key value copies no lock
	spares chan *macState // keyed states made ahead by warm
}

// A macState is a keyed HMAC and a buffer for its sums, pooled together so
// that computing or checking a MAC allocates nothing.
type macState struct {
	h   hash.Hash
	sum [64]byte
}

func newKey(root *Root, alg Algorithm, w Window, secret []byte) *Key {
	k := &Key{id: KeyID(root.id, w.index), rootID: root.id, window: w, alg: alg, secret: &material{b: secret}}
	if alg == EdDSA {
		priv := ed25519.NewKeyFromSeed(secret)
		k.priv = &material{b: priv}
		k.public = &PublicKey{id: k.id, rootID: root.id, window: w, key: ed25519.PublicKey(priv[ed25519.SeedSize:])}
		return k
	}
	k.macs = new(sync.Pool)
	k.spares = make(chan *macState, runtime.GOMAXPROCS(0))
	k.warm()
	return k
}

// ID returns the key id, the value of a JWT's "kid" header.
func (k *Key) ID() string { return k.id }

// RootID returns the id of the root the key was derived from.
func (k *Key) RootID() string { return k.rootID }

// Window returns the key's window.
func (k *Key) Window() Window { return k.window }

// Algorithm returns the algorithm the key is for.
func (k *Key) Algorithm() Algorithm { return k.alg }

// Public returns the public half of an [EdDSA] key, which verifies what the
// key signs and cannot sign; nil for an HMAC key, which has none.
func (k *Key) Public() *PublicKey { return k.public }

// AppendSignature appends the signature of msg under the key (the MAC, for
// HMAC) to dst and returns the extended slice. For HMAC it does not
// allocate.
func (k *Key) AppendSignature(dst, msg []byte) []byte {
	if k.alg == EdDSA {
		return append(dst, ed25519.Sign(k.priv.b, msg)...)
	}
	return k.appendHMAC(dst, msg)
}

func (k *Key) appendHMAC(dst, msg []byte) []byte {
	st := k.getMAC()
	st.h.Reset()
	st.h.Write(msg)
	dst = append(dst, st.h.Sum(st.sum[:0])...)
	k.macs.Put(st)
	return dst
}

// Verify reports whether sig is the signature of msg under the key: for
// HMAC, comparing MACs in constant time, with no allocation; for EdDSA, as
// [PublicKey.Verify].
func (k *Key) Verify(msg, sig []byte) bool {
	if k.alg == EdDSA {
		return k.public.Verify(msg, sig)
	}
	mac := sig
	st := k.getMAC()
	st.h.Reset()
	st.h.Write(msg)
	ok := hmac.Equal(st.h.Sum(st.sum[:0]), mac)
	k.macs.Put(st)
	return ok
}

// Bytes returns a copy of the derived secret: the HMAC key, or the Ed25519
// seed (ed25519.NewKeyFromSeed makes the private key of it). jwtrot never
// needs it; it exists to hand a window key to another JWT library in a test
// or an interop check. Whoever holds it can sign tokens for the window.
func (k *Key) Bytes() []byte { return append([]byte(nil), k.secret.b...) }

// getMAC returns a keyed HMAC state: the processor's pooled one, else one
// that warm made, else a new one.
func (k *Key) getMAC() *macState {
	if st, ok := k.macs.Get().(*macState); ok {
		return st
	}
	select {
	case st := <-k.spares:
		return st
	default:
		return &macState{h: hmac.New(k.alg.hashFunc(), k.secret.b)}
	}
}

// primedMAC returns a keyed HMAC state that has been used once: the first
// Reset of an HMAC saves its keyed inner and outer states, allocating.
func (k *Key) primedMAC() *macState {
	st := &macState{h: hmac.New(k.alg.hashFunc(), k.secret.b)}
	st.h.Reset()
	st.h.Sum(st.sum[:0])
	st.h.Reset()
	return st
}

// warm keys HMAC states ahead of use, one for each processor the Go runtime
// runs on, so that the first MAC of a new window on each of them does not
// key one on a request. newKey calls it once, when the key is derived (for
// package jwtrot, when it builds a window's set of keys, ahead of the
// window for the next one).
func (k *Key) warm() {
	// The pool's per-processor table is made on its first use: make it now.
	k.macs.Put(k.primedMAC())
	for {
		select {
		case k.spares <- k.primedMAC():
		default:
			return
		}
	}
}
