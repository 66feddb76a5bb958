package jwtrotredis

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestMain starts one redis-server on 127.0.0.1 for the runnable examples,
// which cannot start their own, and gives its address to them in REDIS_ADDR
// (always overwritten: the examples never reach another server). Without
// redis-server the examples that need it are skipped, with a line saying so,
// or, when CI is set, the run fails. The tests start their own servers.
func TestMain(m *testing.M) {
	flag.Parse()
	stop, err := exampleServer()
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "jwtrotredis: redis-server is required when CI is set: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("jwtrotredis: the examples that need Redis SKIPPED: %v\n", err)
		skip := "^ExampleRevoker$"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		flag.Set("test.skip", skip)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// exampleServer starts redis-server on a free port of 127.0.0.1 (appendonly,
// in a temp dir), sets REDIS_ADDR to it, and returns how to stop it.
func exampleServer() (stop func(), err error) {
	os.Setenv("REDIS_ADDR", "127.0.0.1:1") // nothing listens: never another server
	if _, err := exec.LookPath("redis-server"); err != nil {
		return func() {}, fmt.Errorf("redis-server is not installed (apt-get install redis-server)")
	}
	dir, err := os.MkdirTemp("", "jwtrotredis-example")
	if err != nil {
		return func() {}, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return func() { os.RemoveAll(dir) }, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
			"--save", "", "--appendonly", "yes", "--protected-mode", "no", "--logfile", "redis.log")
		if err := cmd.Start(); err != nil {
			return func() { os.RemoveAll(dir) }, err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill()
			<-exited
			os.RemoveAll(dir)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			select {
			case <-exited: // the port was taken meanwhile: another one
			default:
				if pong(addr) {
					os.Setenv("REDIS_ADDR", addr)
					return stop, nil
				}
				continue
			}
			break
		}
		stop()
		if dir, err = os.MkdirTemp("", "jwtrotredis-example"); err != nil {
			return func() {}, err
		}
	}
	os.RemoveAll(dir)
	return func() {}, fmt.Errorf("redis-server did not start on 127.0.0.1")
}

// pong reports whether a server at addr answers PING.
func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := c.Read(buf)
	return string(buf[:n]) == "+PONG\r\n"
}
