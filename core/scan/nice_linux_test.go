package scan

import (
	"syscall"
	"testing"
)

// A worker's thread takes the niceness asked for; the test's own does not.
func TestLowerPriority(t *testing.T) {
	niceOf := func() int {
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p // the raw system call answers 20 − nice
	}
	before := niceOf()
	got := make(chan int)
	go func() {
		lowerPriority(before + 7)
		got <- niceOf()
	}()
	if n := <-got; n != before+7 {
		t.Errorf("the worker's thread runs at nice %d, want %d", n, before+7)
	}
	if n := niceOf(); n != before {
		t.Errorf("the caller's thread moved to nice %d from %d", n, before)
	}
}
