// Package kmstest runs tests against a real AWS KMS emulator, local-kms
// (github.com/nsmithuk/local-kms, installed with go install). local-kms
// listens on every interface, so [Main] first moves the whole test binary
// into a private network namespace whose only interface is loopback: the
// emulator can then be reached on 127.0.0.1 alone, and nothing the tests
// send can leave the machine. [Start] runs an emulator of the test's own on
// a free port with a temporary data directory, seeded from YAML, and kills
// it when the test ends, even on failure. Without local-kms, or without the
// namespace, the tests skip; they fail instead when the environment variable
// CI is set.
package kmstest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// The emulator's account and region: keys are named by ARNs under them.
const (
	Region    = "eu-west-2"
	AccountID = "111122223333"
)

// Fake credentials every test client signs with. The secret is recognisable
// so that tests can check it never appears in an error, a log or output.
const (
	AccessKeyID     = "AKIAJWTROTTESTKEY000"
	SecretAccessKey = "jwtrotFAKEsecretACCESSkey/DoNotLeak+0123"
)

var (
	emulatorBin string // path of local-kms, "" if missing
	missing     string // why the emulator cannot run here
)

// Main moves the test binary into a private network namespace (see the
// package documentation), finds local-kms and runs the tests: call it from
// TestMain as os.Exit(kmstest.Main(m)).
func Main(m *testing.M) int {
	inNS, code, err := enterNamespace()
	switch {
	case err != nil:
		missing = "no private network namespace for the emulator, which listens on every interface: " + err.Error()
	case !inNS:
		return code // the child ran the tests
	default:
		emulatorBin, missing = find()
	}
	return m.Run()
}

func find() (string, string) {
	if p := os.Getenv("LOCAL_KMS"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", "LOCAL_KMS names no file: " + err.Error()
		}
		return p, ""
	}
	if p, err := exec.LookPath("local-kms"); err == nil {
		return p, ""
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "local-kms")
			if _, err := os.Stat(p); err == nil {
				return p, ""
			}
		}
	}
	return "", "local-kms not found (go install github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6, or set LOCAL_KMS to its path)"
}

// Need skips the test when the emulator cannot run, and fails it instead
// when CI is set.
func Need(t testing.TB) {
	t.Helper()
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and the KMS emulator cannot run: %s", missing)
	}
	t.Skipf("the KMS emulator cannot run: %s", missing)
}

// An Emulator is a running local-kms of one test.
type Emulator struct {
	t        testing.TB
	dir      string
	port     string
	Endpoint string // http://127.0.0.1:port

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *tail
}

var startedRE = regexp.MustCompile(`Local KMS started on 0\.0\.0\.0:(\d+)`)

// Start runs local-kms seeded with seed (the YAML of its README, "" for
// none) on a free port of 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, seed string) *Emulator {
	t.Helper()
	Need(t)
	e := &Emulator{t: t, dir: t.TempDir(), port: "0"}
	if err := os.WriteFile(filepath.Join(e.dir, "seed.yaml"), []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	e.start()
	e.Endpoint = "http://127.0.0.1:" + e.port
	return e
}

func (e *Emulator) start() {
	e.t.Helper()
	cmd := exec.Command(emulatorBin)
	cmd.Dir = e.dir
	cmd.SysProcAttr = dieWithParent()
	cmd.Env = append(os.Environ(),
		"PORT="+e.port,
		"KMS_DATA_PATH="+filepath.Join(e.dir, "data"),
		"KMS_SEED_PATH="+filepath.Join(e.dir, "seed.yaml"),
		"KMS_REGION="+Region,
		"KMS_ACCOUNT_ID="+AccountID,
	)
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting local-kms: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); w.Close(); close(done) }()
	log := &tail{}
	ports := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			log.add(s.Text())
			if m := startedRE.FindStringSubmatch(s.Text()); m != nil {
				select {
				case ports <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, r)
	}()
	e.mu.Lock()
	e.cmd, e.done, e.log = cmd, done, log
	e.mu.Unlock()
	select {
	case p := <-ports:
		e.port = p
	case <-done:
		e.t.Fatalf("local-kms exited at start:\n%s", log)
	case <-time.After(20 * time.Second):
		e.Stop()
		e.t.Fatalf("local-kms did not start within 20s:\n%s", log)
	}
	// Serving starts just after the line: wait until it answers.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+e.port, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("local-kms does not accept connections: %v\n%s", err, log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stop kills the emulator (SIGKILL: an outage, not a shutdown) and waits
// for it to exit. Its data stays, for [Emulator.Restart].
func (e *Emulator) Stop() {
	e.mu.Lock()
	cmd, done := e.cmd, e.done
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart starts the emulator again on the same port with the same data.
func (e *Emulator) Restart() {
	e.t.Helper()
	e.Stop()
	e.start()
}

// Client returns a KMS client for the emulator, signing with the fake
// credentials, sending through rt if it is not nil, with the SDK's standard
// retryer unless opts change it.
func (e *Emulator) Client(rt http.RoundTripper, opts ...func(*kms.Options)) *kms.Client {
	return NewClient(e.Endpoint, rt, opts...)
}

// NewClient returns a KMS client for endpoint, as [Emulator.Client] does.
func NewClient(endpoint string, rt http.RoundTripper, opts ...func(*kms.Options)) *kms.Client {
	if rt == nil {
		rt = http.DefaultTransport
	}
	o := kms.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "kmstest"}, nil
		}),
		HTTPClient: &http.Client{Transport: rt},
	}
	for _, f := range opts {
		f(&o)
	}
	return kms.New(o)
}

// An HMACKey is a seeded HMAC_256 key: its id, an alias ("" for none) and
// its 32 bytes of key material, a root's PRK.
type HMACKey struct {
	ID, Alias string
	PRK       []byte
}

// Seed returns the seed YAML for keys.
func Seed(keys ...HMACKey) string {
	var b strings.Builder
	b.WriteString("Keys:\n  Symmetric:\n    Hmac:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "      - Metadata:\n          KeyId: %s\n          KeyUsage: GENERATE_VERIFY_MAC\n          KeySpec: HMAC_256\n          Description: jwtrot test root\n        BackingKeys:\n          - %x\n", k.ID, k.PRK)
	}
	b.WriteString("Aliases:\n")
	for _, k := range keys {
		if k.Alias != "" {
			fmt.Fprintf(&b, "  - AliasName: %s\n    TargetKeyId: %s\n", k.Alias, k.ID)
		}
	}
	return b.String()
}

// ARN returns the ARN of the key with the given id.
func ARN(id string) string { return "arn:aws:kms:" + Region + ":" + AccountID + ":key/" + id }

// tail keeps the last lines the emulator wrote, for failure messages. They
// name keys by ARN, never their material.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (l *tail) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 40 {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, s)
}

func (l *tail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
