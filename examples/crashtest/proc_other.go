//go:build !linux

package crashtest

import "os/exec"

// dieWithParent does nothing here: only Linux can tie a child's life to
// its parent's. The test kills its children when it ends.
func dieWithParent(*exec.Cmd) {}
