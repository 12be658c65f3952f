package mailtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// setParentDeathSignal has the kernel stop mailpit when the test binary
// dies without running Main's cleanup (a panic, a timeout, a kill).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lockInstall takes a machine-wide lock around go install; on any error it
// goes ahead unlocked (a second concurrent install is only slower).
func lockInstall() (unlock func()) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "trustcred-mailpit-install.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return func() {}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
