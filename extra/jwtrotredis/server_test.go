package jwtrotredis

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/redis/rueidis"
)

// requireTool skips t without the program (apt-get install redis-server
// redis-tools), or fails it when CI is set.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	return tooltest.Require(t, name)
}

// A server is a redis-server process this test started on 127.0.0.1.
type server struct {
	t    testing.TB
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
	// exited is closed when cmd has exited.
	exited chan struct{}
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// freePort returns a port free on 127.0.0.1 whose +10000 (a cluster node's
// bus port) is free too.
func freePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

// startServer starts redis-server with extra configuration, stopped when
// the test ends, even on failure. A port taken between freePort and the
// server's bind makes the server exit; it is then tried on another port.
func startServer(t testing.TB, extra ...string) *server {
	t.Helper()
	requireTool(t, "redis-server")
	s := &server{t: t, dir: t.TempDir()}
	t.Cleanup(s.stop)
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		s.args = append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(s.port), "--dir", s.dir,
			"--save", "", "--appendonly", "no", "--protected-mode", "no", "--maxmemory-policy", "noeviction",
			"--logfile", filepath.Join(s.dir, "redis.log")}, extra...)
		if err := s.tryStart(); err == nil {
			return s
		} else if attempt == 4 {
			t.Fatal(err)
		}
	}
}

// start starts the server again on its port, after kill.
func (s *server) start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) tryStart() error {
	s.cmd = exec.Command("redis-server", s.args...)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-s.exited:
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server on %s exited:\n%s", s.addr(), log)
		default:
		}
		// Our process, not another test's server on the same port; a
		// server with requirepass answers NOAUTH, and is up too.
		reply, err := s.command("PING")
		if err == nil && strings.HasPrefix(reply, "-NOAUTH") {
			return nil
		}
		if err == nil && reply == "+PONG" && s.pid() == s.cmd.Process.Pid {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server on %s did not start:\n%s", s.addr(), log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pid returns the process_id the server on s's port reports, or 0.
func (s *server) pid() int {
	c, err := net.DialTimeout("tcp", s.addr(), time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
	br := bufio.NewReader(c)
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return 0
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			return pid
		}
	}
	return 0
}

// kill stops the server at once (SIGKILL), as a crash would.
func (s *server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

func (s *server) stop() { s.kill() }

// command sends one inline command on a fresh connection and returns the
// first line of the reply.
func (s *server) command(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.addr(), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c, "$%d\r\n%s\r\n", len(a), a)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// info returns one field of the server's INFO.
func (s *server) info(section, field string) string {
	s.t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	text, err := c.Do(context.Background(), c.B().Info().Section(section).Build()).ToString()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// startCluster starts three masters and joins them into a cluster.
func startCluster(t testing.TB, extra ...string) []*server {
	t.Helper()
	requireTool(t, "redis-cli")
	nodes := make([]*server, 3)
	addrs := make([]string, 3)
	for i := range nodes {
		nodes[i] = startServer(t, append([]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}, extra...)...)
		addrs[i] = nodes[i].addr()
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, n := range nodes {
		for n.info("cluster", "cluster_enabled") != "1" || !clusterOK(n) {
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not become ready")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

func clusterOK(s *server) bool {
	c, err := net.DialTimeout("tcp", s.addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n")
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	return strings.Contains(string(buf[:n]), "cluster_state:ok")
}
