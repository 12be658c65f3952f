package mailtest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel stop mailpit when the test binary
// dies without running Main's cleanup (a panic, a timeout, a kill).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
