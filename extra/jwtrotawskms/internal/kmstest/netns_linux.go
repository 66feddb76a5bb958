package kmstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

// nsEnv marks the test binary running inside its private namespace.
const nsEnv = "JWTROTAWSKMS_PRIVATE_NETNS"

// enterNamespace runs the test binary again in a new network namespace (and
// a user namespace mapping the caller to root when not already root), and
// returns its exit code with inNS false; inside the namespace it brings the
// loopback interface up and returns inNS true.
func enterNamespace() (inNS bool, code int, err error) {
	if os.Getenv(nsEnv) == "1" {
		if err := loopbackUp(); err != nil {
			return false, 0, fmt.Errorf("bringing lo up: %w", err)
		}
		return true, 0, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, 0, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), nsEnv+"=1")
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return false, 0, err // not permitted here: run without the emulator
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return false, exit.ExitCode(), nil
	}
	if err != nil {
		return false, 1, nil
	}
	return false, 0, nil
}

// loopbackUp sets IFF_UP on lo, as ip link set lo up does.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr [40]byte // struct ifreq: name[16], then a union whose first field is short flags
	copy(ifr[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	flags := binary.NativeEndian.Uint16(ifr[16:18]) | syscall.IFF_UP | syscall.IFF_RUNNING
	binary.NativeEndian.PutUint16(ifr[16:18], flags)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	return nil
}

// dieWithParent makes a child process get SIGKILL when the test process
// dies, so that a test binary killed on timeout leaves no emulator behind.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
