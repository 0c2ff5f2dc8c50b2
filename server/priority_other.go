//go:build !linux

package server

// lowerThreadPriority: only Linux sets priorities per thread.
func lowerThreadPriority() {}
