// Package pytorch finds a Python that imports torch, for the tests that
// check basin against PyTorch on fixtures they make (skipped without it).
package pytorch

import "os/exec"

// Python is a python3 that imports torch: Debian's (python3-torch is
// built for it) before whatever python3 the PATH finds, or "".
func Python() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import torch").Run() == nil {
			return p
		}
	}
	return ""
}
