//go:build !linux

package scan

// lowerPriority does nothing here: threads have no niceness of their own.
func lowerPriority(int) {}
