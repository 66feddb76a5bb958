package jwtrotpkcs11

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/jwtrot/jwtrot/internal/hmacexpand"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/miekg/pkcs11"
)

// DefaultSessions is the default size of a [Module]'s session pool.
const DefaultSessions = 4

// maxPINLen bounds what is read as a PIN.
const maxPINLen = 256

// Errors of this package. None of their messages contains a PIN or key
// material.
var (
	ErrConfig      = errors.New("jwtrotpkcs11: invalid configuration")
	ErrNoToken     = errors.New("jwtrotpkcs11: no token with that label")
	ErrNoKey       = errors.New("jwtrotpkcs11: no key with that label in the token")
	ErrKeyExists   = errors.New("jwtrotpkcs11: a key with that label already exists in the token")
	ErrWeakKey     = errors.New("jwtrotpkcs11: the key is extractable or not sensitive")
	ErrClosed      = errors.New("jwtrotpkcs11: module closed")
	ErrPINSource   = errors.New("jwtrotpkcs11: cannot read the PIN")
	errKeyMultiple = errors.New("jwtrotpkcs11: several keys with that label in the token")
)

// Config says where a root's PRK lives and how to log in.
type Config struct {
	// Library is the path of the PKCS#11 library, such as
	// /usr/lib/softhsm/libsofthsm2.so.
	Library string
	// Token is the label of the token that holds the key.
	Token string
	// Key is the label of the key object, the root's PRK.
	Key string
	// PINFile is a file holding the user PIN (one line), or PINEnv the
	// name of an environment variable holding it: exactly one of the two.
	// The PIN is never a flag or a field, so it never shows in ps or in a
	// printed configuration; it is read at each login and not kept.
	PINFile, PINEnv string
	// Sessions bounds the sessions opened on the token (default
	// [DefaultSessions]); concurrent derivations beyond it wait.
	Sessions int
}

func (c Config) check() error {
	switch {
	case c.Library == "":
		return fmt.Errorf("%w: no PKCS#11 library path (Library)", ErrConfig)
	case c.Token == "":
		return fmt.Errorf("%w: no token label (Token)", ErrConfig)
	case c.Key == "":
		return fmt.Errorf("%w: no key label (Key)", ErrConfig)
	case (c.PINFile == "") == (c.PINEnv == ""):
		return fmt.Errorf("%w: give exactly one of PINFile and PINEnv", ErrConfig)
	case c.Sessions < 0:
		return fmt.Errorf("%w: negative session count", ErrConfig)
	}
	return nil
}

// pin reads the PIN from its source. Errors name the kind of source, never
// the PIN, nor the file's path or the variable's name: a PIN typed where
// the path or the name belongs would otherwise be printed.
func (c Config) pin() (string, error) {
	var s string
	if c.PINFile != "" {
		b, err := os.ReadFile(c.PINFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return "", fmt.Errorf("%w: the PIN file cannot be read: %w", ErrPINSource, pe.Err)
			}
			return "", fmt.Errorf("%w: the PIN file cannot be read", ErrPINSource)
		}
		s = string(b)
		clear(b)
	} else {
		v, ok := os.LookupEnv(c.PINEnv)
		if !ok {
			return "", fmt.Errorf("%w: the PIN's environment variable is not set", ErrPINSource)
		}
		s = v
	}
	s = strings.TrimRight(s, "\r\n")
	if s == "" || len(s) > maxPINLen {
		return "", fmt.Errorf("%w: the PIN is empty or longer than %d bytes", ErrPINSource, maxPINLen)
	}
	return s, nil
}

// A Module is a root's PRK held as a non-extractable HMAC key in a PKCS#11
// token. It implements [rotation.Expander]: give it to
// [rotation.NewExternalRoot]. It is safe for concurrent use; Close it when
// done (after closing the Deriver that uses it).
type Module struct {
	cfg  Config
	ctx  *pkcs11.Ctx
	slot uint

	pool chan *session // capacity cfg.Sessions; nil entries are unopened
	wg   sync.WaitGroup

	mu     sync.Mutex // guards key, stale and closed
	key    pkcs11.ObjectHandle
	stale  bool // log in and find the key again before the next use
	closed bool
}

type session struct{ h pkcs11.SessionHandle }

var _ rotation.Expander = (*Module)(nil)

// Open loads the PKCS#11 library, finds the token, logs in, and finds the
// key, checking that it is sensitive and not extractable. Every failure says
// which of these went wrong.
func Open(cfg Config) (*Module, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Sessions == 0 {
		cfg.Sessions = DefaultSessions
	}
	ctx, slot, err := load(cfg)
	if err != nil {
		return nil, err
	}
	m := &Module{cfg: cfg, ctx: ctx, slot: slot, pool: make(chan *session, cfg.Sessions)}
	for range cfg.Sessions {
		m.pool <- nil
	}
	s, err := m.acquire(context.Background())
	if err == nil {
		err = m.refresh(s)
		m.release(s, err)
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// libraries holds each loaded PKCS#11 library with a count of its users:
// C_Initialize and C_Finalize act on the whole library, so two Modules on
// one library share its context and the last to close finalises it.
var libraries = struct {
	sync.Mutex
	m map[string]*library
}{m: map[string]*library{}}

type library struct {
	ctx   *pkcs11.Ctx
	users int
}

func loadLibrary(path string) (*pkcs11.Ctx, error) {
	libraries.Lock()
	defer libraries.Unlock()
	if l := libraries.m[path]; l != nil {
		l.users++
		return l.ctx, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("%w: cannot load the PKCS#11 library %s", ErrConfig, path)
	}
	if err := ctx.Initialize(); err != nil && !isCode(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ctx.Destroy()
		return nil, fmt.Errorf("jwtrotpkcs11: initialising %s: %w", path, err)
	}
	libraries.m[path] = &library{ctx: ctx, users: 1}
	return ctx, nil
}

func unloadLibrary(path string) {
	libraries.Lock()
	defer libraries.Unlock()
	l := libraries.m[path]
	if l == nil {
		return
	}
	if l.users--; l.users == 0 {
		l.ctx.Finalize()
		l.ctx.Destroy()
		delete(libraries.m, path)
	}
}

// load initialises the library and finds the slot of the token.
func load(cfg Config) (*pkcs11.Ctx, uint, error) {
	ctx, err := loadLibrary(cfg.Library)
	if err != nil {
		return nil, 0, err
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		unloadLibrary(cfg.Library)
		return nil, 0, fmt.Errorf("jwtrotpkcs11: listing slots: %w", err)
	}
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err == nil && strings.TrimRight(info.Label, " \x00") == cfg.Token {
			return ctx, s, nil
		}
	}
	unloadLibrary(cfg.Library)
	return nil, 0, fmt.Errorf("%w: %q (check the token label; list tokens with softhsm2-util --show-slots or pkcs11-tool -L)", ErrNoToken, cfg.Token)
}

// Expand computes HKDF-Expand(PRK, info, n) with one CKM_SHA256_HMAC
// operation per 32 bytes (the chain of HMACs of RFC 5869 §2.3). It returns when ctx ends
// even if the token has not answered; the session returns to the pool when
// it does.
func (m *Module) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	return hmacexpand.Expand(ctx, m.hmac, info, n)
}

// hmac returns HMAC-SHA256(PRK, msg) computed by the token.
func (m *Module) hmac(ctx context.Context, msg []byte) ([]byte, error) {
	s, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	type result struct {
		mac []byte
		err error
	}
	done := make(chan result, 1)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		mac, err := m.sign(s, msg)
		m.release(s, err)
		done <- result{mac, err}
	}()
	select {
	case r := <-done:
		return r.mac, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *Module) sign(s *session, msg []byte) ([]byte, error) {
	m.mu.Lock()
	stale, key := m.stale, m.key
	m.mu.Unlock()
	if stale {
		if err := m.refresh(s); err != nil {
			return nil, err
		}
		m.mu.Lock()
		key = m.key
		m.mu.Unlock()
	}
	if err := m.ctx.SignInit(s.h, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}, key); err != nil {
		return nil, fmt.Errorf("jwtrotpkcs11: HMAC with key %q: %w", m.cfg.Key, err)
	}
	mac, err := m.ctx.Sign(s.h, msg)
	if err != nil {
		return nil, fmt.Errorf("jwtrotpkcs11: HMAC with key %q: %w", m.cfg.Key, err)
	}
	return mac, nil
}

// refresh logs in on s (the login holds for every session of the
// application) and finds the key again, checking its attributes.
func (m *Module) refresh(s *session) error {
	if err := login(m.ctx, s.h, m.cfg); err != nil {
		return err
	}
	key, err := findKey(m.ctx, s.h, m.cfg.Key)
	if err != nil {
		return err
	}
	if err := checkKey(m.ctx, s.h, key); err != nil {
		return err
	}
	m.mu.Lock()
	m.key, m.stale = key, false
	m.mu.Unlock()
	return nil
}

func login(ctx *pkcs11.Ctx, h pkcs11.SessionHandle, cfg Config) error {
	pin, err := cfg.pin()
	if err != nil {
		return err
	}
	if err := ctx.Login(h, pkcs11.CKU_USER, pin); err != nil && !isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		// A pkcs11.Error is a return code such as CKR_PIN_INCORRECT.
		return fmt.Errorf("jwtrotpkcs11: logging in to token %q: %w", cfg.Token, err)
	}
	return nil
}

func findKey(ctx *pkcs11.Ctx, h pkcs11.SessionHandle, label string) (pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	if err := ctx.FindObjectsInit(h, tmpl); err != nil {
		return 0, fmt.Errorf("jwtrotpkcs11: finding key %q: %w", label, err)
	}
	objs, _, err := ctx.FindObjects(h, 2)
	if ferr := ctx.FindObjectsFinal(h); err == nil {
		err = ferr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("jwtrotpkcs11: finding key %q: %w", label, err)
	case len(objs) == 0:
		return 0, fmt.Errorf("%w: %q (create it with jwtrot-pkcs11 generate or import)", ErrNoKey, label)
	case len(objs) > 1:
		return 0, fmt.Errorf("%w: %q", errKeyMultiple, label)
	}
	return objs[0], nil
}

// checkKey refuses a key whose value could leave the token.
func checkKey(ctx *pkcs11.Ctx, h pkcs11.SessionHandle, key pkcs11.ObjectHandle) error {
	attrs, err := ctx.GetAttributeValue(h, key, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
	})
	if err != nil {
		return fmt.Errorf("jwtrotpkcs11: reading the key's attributes: %w", err)
	}
	sensitive := len(attrs[0].Value) == 1 && attrs[0].Value[0] == 1
	extractable := len(attrs[1].Value) != 1 || attrs[1].Value[0] != 0
	if !sensitive || extractable {
		return fmt.Errorf("%w: create the key again with jwtrot-pkcs11, which sets CKA_SENSITIVE and clears CKA_EXTRACTABLE", ErrWeakKey)
	}
	return nil
}

// acquire takes a session from the pool, opening one if the slot is empty,
// waiting at most until ctx ends.
func (m *Module) acquire(ctx context.Context) (*session, error) {
	var s *session
	select {
	case s = <-m.pool:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		m.pool <- s
		return nil, ErrClosed
	}
	if s != nil {
		return s, nil
	}
	h, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		m.pool <- nil
		return nil, fmt.Errorf("jwtrotpkcs11: opening a session on token %q: %w", m.cfg.Token, err)
	}
	return &session{h: h}, nil
}

// release puts s back. After a failure it closes the session and marks the
// login and key for a refresh, so that a token that was logged out,
// reinserted or restarted is picked up again without a restart.
func (m *Module) release(s *session, err error) {
	if err != nil && !errors.Is(err, ErrPINSource) {
		m.ctx.CloseSession(s.h)
		s = nil
		m.mu.Lock()
		m.stale = true
		m.mu.Unlock()
	}
	m.pool <- s
}

// Close waits for operations under way, closes the sessions and unloads the
// library. It is safe to call more than once.
func (m *Module) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.wg.Wait()
	for range cap(m.pool) {
		if s := <-m.pool; s != nil {
			m.ctx.CloseSession(s.h)
		}
	}
	unloadLibrary(m.cfg.Library)
	return nil
}

func isCode(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}
