package server

import "syscall"

// lowerThreadPriority makes the calling OS thread nicer (Linux schedules threads
// individually), for work that must yield the CPU to intake.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}
