package main

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/internal/tooltest"
)

// TestFleetRedis runs `demo fleet -redis` against a redis-server of its own
// on 127.0.0.1: a logout through one instance is refused by every other,
// and a one-time token is accepted once.
func TestFleetRedis(t *testing.T) {
	server := tooltest.Require(t, "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(server, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
		"--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var out, errb bytes.Buffer
	code := run([]string{"fleet", "-instances", "3", "-window", "2s", "-duration", "2500ms", "-redis", addr}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"instance 0 refuses her token (token revoked)",
		"instance 1 refuses her token (token revoked)",
		"instance 2 refuses her token (token revoked)",
		"one-time token, use 1, on instance 1: accepted",
		"one-time token, use 2, on instance 2: refused (no more uses)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
