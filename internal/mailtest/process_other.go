//go:build !linux

package mailtest

import "os/exec"

// setParentDeathSignal does nothing here: only Linux has a parent-death
// signal, so elsewhere a test binary that dies early leaves mailpit running.
func setParentDeathSignal(*exec.Cmd) {}

// lockInstall does nothing here: concurrent installs are only slower.
func lockInstall() (unlock func()) { return func() {} }
