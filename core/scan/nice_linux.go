package scan

import (
	"runtime"
	"syscall"
)

// lowerPriority locks the calling goroutine to its OS thread and raises
// that thread's niceness: Linux schedules threads, each with its own. The
// goroutine never unlocks, so the thread exits with it and no other
// goroutine runs at that priority.
func lowerPriority(nice int) {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice) // best effort: a refusal changes no result
}
