package jwtrotawskms_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/fakekms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// New refuses a configuration it cannot use before calling KMS, and says
// what to fix.
func ExampleNew() {
	_, err := jwtrotawskms.New(context.Background(), nil, "alias/jwtrot-main")
	fmt.Println(errors.Is(err, jwtrotawskms.ErrConfig))
	fmt.Println(err)
	// Output:
	// true
	// jwtrotawskms: invalid configuration: nil *kms.Client (build one with kms.NewFromConfig(cfg), cfg from config.LoadDefaultConfig)
}

// The whole path, with a stand-in for AWS KMS that runs in this process
// (in a service: kms.NewFromConfig of config.LoadDefaultConfig): the SPEC
// vector root "main" is imported into a KMS key, then a Deriver over the
// key signs and verifies a token. The fingerprint is the one SPEC.md §8
// gives for that root.
func Example() {
	stand := fakekms.Start() // stands in for AWS KMS
	defer stand.Close()
	client := kmstest.NewClient(stand.URL, nil)
	ctx := context.Background()

	// Once, by an administrator: jwtrot-awskms import -root-file ... -alias alias/jwtrot-main
	secret, _ := hex.DecodeString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0c")
	file, _ := rotation.NewRoot("main", secret)
	if _, err := jwtrotawskms.ImportKey(ctx, client, file, "", "alias/jwtrot-main"); err != nil {
		fmt.Println(err)
		return
	}

	// In the service.
	e, err := jwtrotawskms.New(ctx, client, "alias/jwtrot-main")
	if err != nil {
		fmt.Println(err)
		return
	}
	root, _ := rotation.NewExternalRoot("main", e)
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC))
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock),
		rotation.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	fp, _ := root.Fingerprint(ctx)
	fmt.Println("fingerprint:", fp)

	auth, _ := jwtrot.New(d)
	tok, _ := auth.Sign(jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(mock.Now().Add(time.Hour))})
	var claims jwt.RegisteredClaims
	res, err := auth.Verify(ctx, tok, &claims)
	fmt.Println(res.KeyID, claims.Subject, err)
	// Output:
	// fingerprint: 71d3ddd0d187c907
	// main:2992240 alice <nil>
}
