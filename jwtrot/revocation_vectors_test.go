package jwtrot

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/tooltest"
)

const revocationVectorsPath = "../testdata/revocation_vectors.json"

func ns(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRevocationVectors checks SPEC §12 by example: the issue instant read
// from iat and the jti, the subject rule through a RevocationList, and the
// loss rule after Forget. check_revocation_vectors.py checks the same file
// from the spec alone (TestRevocationVectorsPython).
func TestRevocationVectors(t *testing.T) {
	b, err := os.ReadFile(revocationVectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		IssuedAt []struct {
			Name, Payload string
			IssuedAtNs    string `json:"issued_at_ns"`
		} `json:"issued_at"`
		Subject []struct {
			Name        string
			IssuedAtNs  string `json:"issued_at_ns"`
			NotBeforeNs string `json:"not_before_ns"`
			Revoked     bool
		}
		Loss []struct {
			Name       string
			IssuedAtNs string `json:"issued_at_ns"`
			LostAtNs   string `json:"lost_at_ns"`
			NowNs      string `json:"now_ns"`
			MaxAgeS    int64  `json:"max_age_s"`
			Refused    bool
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.IssuedAt) < 10 || len(doc.Subject) < 5 || len(doc.Loss) < 3 {
		t.Fatalf("too few vectors: %d, %d, %d", len(doc.IssuedAt), len(doc.Subject), len(doc.Loss))
	}
	ctx := context.Background()
	for _, v := range doc.IssuedAt {
		p := []byte(v.Payload)
		c, err := scanClaims(p)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if got := issuedAt(p, &c).UnixNano(); got != ns(t, v.IssuedAtNs) {
			t.Errorf("issued_at %s: %d, want %s", v.Name, got, v.IssuedAtNs)
		}
	}
	for _, v := range doc.Subject {
		l := NewRevocationList(fixedClock(time.Unix(0, ns(t, v.NotBeforeNs))), ListMaxAge(time.Hour))
		if err := l.RevokeSubject(ctx, "alice", time.Unix(0, ns(t, v.NotBeforeNs))); err != nil {
			t.Fatal(err)
		}
		got, err := l.Revoked(ctx, TokenInfo{Subject: "alice", IssuedAt: time.Unix(0, ns(t, v.IssuedAtNs))})
		if err != nil || got != v.Revoked {
			t.Errorf("subject %s: %v, %v; want %v", v.Name, got, err, v.Revoked)
		}
	}
	for _, v := range doc.Loss {
		l := NewRevocationList(fixedClock(time.Unix(0, ns(t, v.NowNs))), ListMaxAge(time.Duration(v.MaxAgeS)*time.Second))
		l.Forget(time.Unix(0, ns(t, v.LostAtNs)))
		_, err := l.Revoked(ctx, TokenInfo{Subject: "alice", ID: "x", IssuedAt: time.Unix(0, ns(t, v.IssuedAtNs))})
		if refused := errors.Is(err, ErrRevocationsLost); refused != v.Refused || (err != nil && !refused) {
			t.Errorf("loss %s: %v, want refused=%v", v.Name, err, v.Refused)
		}
	}
}

func TestRevocationVectorsPython(t *testing.T) {
	python := tooltest.RequirePython(t, "json")
	out, err := exec.Command(python, "../testdata/interop/check_revocation_vectors.py", revocationVectorsPath).CombinedOutput()
	if err != nil {
		t.Fatalf("check_revocation_vectors.py: %v\n%s", err, out)
	}
}

// Sign writes a time-ordered jti: the signing instant's nanoseconds, then
// 64 random bits; Verify hands the Revoker that instant.
func TestTimeOrderedJti(t *testing.T) {
	var seen TokenInfo
	f := newFixture(t, WithRevoker(revokerFunc(func(_ context.Context, ti TokenInfo) (bool, error) { seen = ti; return false, nil })))
	at := testEpoch.Add(123456789)
	f.clock.Set(at)
	a := f.a
	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var rc jwt.RegisteredClaims
	if _, err := a.Verify(context.Background(), tok, &rc); err != nil {
		t.Fatal(err)
	}
	id, err := base64.RawURLEncoding.Strict().DecodeString(rc.ID)
	if err != nil || len(id) != 16 || len(rc.ID) != 22 {
		t.Fatalf("jti %q: %v", rc.ID, err)
	}
	if got := int64(binary.BigEndian.Uint64(id[:8])); got != at.UnixNano() {
		t.Fatalf("jti instant %d, want %d", got, at.UnixNano())
	}
	if !seen.IssuedAt.Equal(at) || rc.IssuedAt.Unix() != at.Unix() {
		t.Fatalf("the Revoker saw IssuedAt %v, want %v (iat %v)", seen.IssuedAt, at, rc.IssuedAt)
	}
	// Two tokens of the same nanosecond still get different jtis.
	tok2, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	var rc2 jwt.RegisteredClaims
	a.Verify(context.Background(), tok2, &rc2)
	if rc2.ID == rc.ID || rc2.ID[:10] != rc.ID[:10] {
		t.Fatalf("jtis %q and %q", rc.ID, rc2.ID)
	}
	// A caller's own iat in another second: the whole second.
	tok3, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice", IssuedAt: jwt.NewNumericDate(at.Add(-time.Minute))})
	a.Verify(context.Background(), tok3, nil)
	if !seen.IssuedAt.Equal(at.Add(-time.Minute).Truncate(time.Second)) {
		t.Fatalf("a caller's iat: the Revoker saw %v", seen.IssuedAt)
	}
}

// With AcceptAfterLoss, Forget is reported and earlier tokens accepted; a
// later Forget raises the loss instant, an earlier one does not lower it.
func TestRevocationListLossPolicy(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	var events []RevocationLoss
	accept := NewRevocationList(fixedClock(now), ListLossPolicy(AcceptAfterLoss), ListOnLoss(func(l RevocationLoss) { events = append(events, l) }), ListMaxAge(time.Hour))
	accept.Forget(now)
	if r, err := accept.Revoked(context.Background(), TokenInfo{Subject: "a", IssuedAt: now.Add(-time.Second)}); r || err != nil {
		t.Fatalf("accept policy: %v, %v", r, err)
	}
	if len(events) != 1 || events[0].Cause != "reset" || events[0].Policy != AcceptAfterLoss || !events[0].Until.Equal(now.Add(time.Hour)) {
		t.Fatalf("events %+v", events)
	}
	refuse := NewRevocationList(fixedClock(now), ListMaxAge(time.Hour))
	refuse.Forget(now)
	refuse.Forget(now.Add(-time.Minute))
	if _, err := refuse.Revoked(context.Background(), TokenInfo{Subject: "a", IssuedAt: now.Add(-time.Second)}); !errors.Is(err, ErrRevocationsLost) {
		t.Fatalf("an earlier Forget lowered the loss instant: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an unknown policy was accepted")
		}
	}()
	NewRevocationList(fixedClock(now), ListLossPolicy(LossPolicy(7)), ListMaxAge(time.Hour))
}
