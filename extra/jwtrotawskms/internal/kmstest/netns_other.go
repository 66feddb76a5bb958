//go:build !linux

package kmstest

import (
	"errors"
	"syscall"
)

func enterNamespace() (inNS bool, code int, err error) {
	return false, 0, errors.New("private network namespaces need Linux")
}

func dieWithParent() *syscall.SysProcAttr { return nil }
