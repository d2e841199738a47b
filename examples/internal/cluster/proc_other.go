//go:build !linux

package cluster

import (
	"os/exec"
	"syscall"
	"time"
)

// The cluster runs on Linux, where Debian's PostgreSQL lives; elsewhere the
// package compiles, and Start fails on the missing PostgreSQL.

func dieWithParent(*exec.Cmd) {}

// CPUTime is unknown without /proc.
func CPUTime(int) (time.Duration, bool) { return 0, false }

func children(int) []int { return nil }

func rss(int) int64 { return 0 }

func setCredential(*exec.Cmd, *syscall.Credential) {}

func lockFile(string) (func(), error) { return func() {}, nil }
