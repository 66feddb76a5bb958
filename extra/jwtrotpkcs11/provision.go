package jwtrotpkcs11

import (
	"errors"
	"fmt"

	"github.com/jwtrot/jwtrot/rotation"
	"github.com/miekg/pkcs11"
)

// prkSize is the length of a root's PRK, the output of HKDF-Extract with
// SHA-256: the key the token generates or imports.
const prkSize = 32

// keyTemplate is every attribute of a PRK object: a token object, private
// (usable only after login), sensitive and never extractable (its value can
// never be read or wrapped out), usable for one thing only, HMAC signing.
func keyTemplate(label string) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_MODIFIABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, false),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, false),
	}
}

// Generate creates a fresh random PRK inside the token, under cfg.Key: a
// root that never exists outside the module, the strongest choice for a new
// deployment. Its window keys are those of a root whose PRK is that random
// value (SPEC.md, "Roots held as a PRK"), so only the module can derive them.
// It refuses to replace an existing key of that label.
func Generate(cfg Config) error {
	return provision(cfg, func(ctx *pkcs11.Ctx, h pkcs11.SessionHandle) error {
		tmpl := append(keyTemplate(cfg.Key), pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, prkSize))
		_, err := ctx.GenerateKey(h, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_GENERIC_SECRET_KEY_GEN, nil)}, tmpl)
		return err
	})
}

// Import stores root's PRK ([rotation.Root.ExportPRK]) in the token under
// cfg.Key, so that the module derives the very keys the root did and tokens
// issued before the move keep verifying. Destroy every other copy of the
// root afterwards (the file, the secret store's versions): until then the
// module protects nothing. It refuses to replace an existing key.
func Import(cfg Config, root *rotation.Root) error {
	prk, err := root.ExportPRK()
	if err != nil {
		return err
	}
	defer clear(prk)
	return provision(cfg, func(ctx *pkcs11.Ctx, h pkcs11.SessionHandle) error {
		_, err := ctx.CreateObject(h, append(keyTemplate(cfg.Key), pkcs11.NewAttribute(pkcs11.CKA_VALUE, prk)))
		return err
	})
}

// provision logs in to the token, checks that no key has the label, runs
// create, and checks the result through [Open].
func provision(cfg Config, create func(*pkcs11.Ctx, pkcs11.SessionHandle) error) error {
	if err := cfg.check(); err != nil {
		return err
	}
	ctx, slot, err := load(cfg)
	if err != nil {
		return err
	}
	defer unloadLibrary(cfg.Library)
	h, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("jwtrotpkcs11: opening a session on token %q: %w", cfg.Token, err)
	}
	defer ctx.CloseSession(h)
	if err := login(ctx, h, cfg); err != nil {
		return err
	}
	switch _, err := findKey(ctx, h, cfg.Key); {
	case err == nil || errors.Is(err, errKeyMultiple):
		return fmt.Errorf("%w: %q (choose another label, or delete the old key deliberately with your token's tools)", ErrKeyExists, cfg.Key)
	case !errors.Is(err, ErrNoKey):
		return err
	}
	if err := create(ctx, h); err != nil {
		return fmt.Errorf("jwtrotpkcs11: creating key %q in token %q: %w", cfg.Key, cfg.Token, err)
	}
	key, err := findKey(ctx, h, cfg.Key)
	if err != nil {
		return err
	}
	return checkKey(ctx, h, key)
}
