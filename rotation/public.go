package rotation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// errPublicKey is returned for bytes that are not a usable Ed25519 public
// key: the wrong length, a non-canonical encoding, or a point of small order
// (which would let anyone forge signatures that verify under it).
var errPublicKey = errors.New("rotation: not a usable Ed25519 public key")

// A VerifyingKey checks the signatures of one root's window. A [*Key] is
// one (it can also sign); a [*PublicKey] is one that cannot sign.
type VerifyingKey interface {
	ID() string
	RootID() string
	Window() Window
	Algorithm() Algorithm
	Verify(msg, sig []byte) bool
}

var (
	_ VerifyingKey = (*Key)(nil)
	_ VerifyingKey = (*PublicKey)(nil)
)

// A PublicKey is the Ed25519 public key of one root's window. It verifies
// [EdDSA] signatures and holds nothing that could sign: it is what a
// verifier without secrets holds, from a JWKS or from [Key.Public]. It is
// safe for concurrent use and not a secret.
type PublicKey struct {
	id     string
	rootID string
	window Window
	key    ed25519.PublicKey
}

// PublicKey returns the public key named by kid, a key id as [KeyID] writes
// it, of the window it names on the schedule. It refuses, with [ErrKeyID], a
// kid that is not canonical and, with an error, key bytes that are not
// 32 bytes, not a canonical point encoding, or a point of small order.
func (s *Schedule) PublicKey(kid string, key []byte) (*PublicKey, error) {
	rootID, index, err := parseKeyID(kid)
	if err != nil {
		return nil, err
	}
	if err := checkPublicKey(key); err != nil {
		return nil, err
	}
	return &PublicKey{id: kid, rootID: rootID, window: Window{index: index, seconds: s.seconds}, key: bytes.Clone(key)}, nil
}

// ID returns the key id.
func (k *PublicKey) ID() string { return k.id }

// RootID returns the id of the root the key pair was derived from.
func (k *PublicKey) RootID() string { return k.rootID }

// Window returns the key's window.
func (k *PublicKey) Window() Window { return k.window }

// Algorithm returns [EdDSA].
func (k *PublicKey) Algorithm() Algorithm { return EdDSA }

// Bytes returns a copy of the 32-byte public key (RFC 8032), the "x" of its
// JWK.
func (k *PublicKey) Bytes() []byte { return bytes.Clone(k.key) }

// Equal reports whether k and o are the same key of the same window.
func (k *PublicKey) Equal(o *PublicKey) bool {
	return k.id == o.id && k.window == o.window && bytes.Equal(k.key, o.key)
}

// Verify reports whether sig is the Ed25519 signature of msg under the key
// (RFC 8032, as crypto/ed25519 checks it: a non-canonical S is refused).
func (k *PublicKey) Verify(msg, sig []byte) bool {
	return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.key, msg, sig)
}

// String returns the key id and the algorithm. A public key is no secret,
// but nothing gains from printing it.
func (k *PublicKey) String() string { return "rotation.PublicKey{kid: " + k.id + ", alg: EdDSA}" }

// checkPublicKey refuses what is not a usable Ed25519 public key: not 32
// bytes, a y coordinate not reduced modulo p = 2^255-19 (a second spelling of
// some point), or one of the points of small order, under which forged
// signatures verify.
func checkPublicKey(key []byte) error {
	if len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %d bytes, not %d", errPublicKey, len(key), ed25519.PublicKeySize)
	}
	// y is little-endian in the low 255 bits; y >= p iff its top byte is
	// 0x7f, the 30 middle bytes 0xff and the lowest at least 0xed.
	if key[31]&0x7f == 0x7f && bytes.Count(key[1:31], []byte{0xff}) == 30 && key[0] >= 0xed {
		return fmt.Errorf("%w: non-canonical encoding", errPublicKey)
	}
	for _, p := range smallOrder {
		if bytes.Equal(key, p[:]) {
			return fmt.Errorf("%w: a point of small order", errPublicKey)
		}
	}
	return nil
}

// smallOrder lists the canonical encodings of the eight points of order
// dividing 8 (the identity, the point of order 2, two of order 4, four of
// order 8), each with both sign bits where both decode.
var smallOrder = [...][32]byte{
	{0x01}, // identity, y = 1
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // order 2, y = -1
	{},         // order 4, y = 0, x positive
	{31: 0x80}, // order 4, y = 0, x negative
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85},
	{0x01, 31: 0x80}, // identity with the sign bit: x = 0 has no negative
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // y = -1 with the sign bit
}

// PublicKeyAt returns the public key of the root named rootID for window w,
// for publishing: [EdDSA] only. It uses the key of a cached window and
// otherwise derives the key pair without caching it, so that publishing a
// horizon of future windows does not evict the keys in use. For a root held
// in a module it asks the module, bounded by ctx and [WithDeriveTimeout].
func (d *Deriver) PublicKeyAt(ctx context.Context, rootID string, w Window) (*PublicKey, error) {
	if d.alg != EdDSA {
		return nil, fmt.Errorf("rotation: %v keys have no public half; publish keys of a Deriver WithAlgorithm(rotation.EdDSA)", d.alg)
	}
	s := d.set.Load()
	root := s.index(rootID)
	if root < 0 {
		return nil, ErrKeyID
	}
	w = Window{index: w.index, seconds: d.sched.seconds}
	if k := s.caches[root].slots[uint64(w.index)%cacheSlots].Load(); k != nil && k.window.index == w.index {
		return k.public, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	info := binary.BigEndian.AppendUint64(append([]byte(nil), d.prefix...), uint64(w.index))
	seed, err := s.roots[root].expand(ctx, info, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("%w (window %d)", err, w.index)
	}
	defer clear(seed)
	priv := ed25519.NewKeyFromSeed(seed)
	defer clear(priv)
	return &PublicKey{id: KeyID(rootID, w.index), rootID: rootID, window: w, key: bytes.Clone(priv[ed25519.SeedSize:])}, nil
}
