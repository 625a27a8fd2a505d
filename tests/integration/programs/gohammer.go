// gohammer: a Go entrypoint for the integration tests (Go's runtime makes its own threads
// and moves goroutines between them, which a tracer following clones must keep up with).
// Goroutines stay busy in syscalls, some denied by tests/integration/policies/deny.json
// (getpgid -> errno 42, mkdirat -> errno 13), some allowed, one blocked in read(2) and one
// sleeping; once every one has made its first call, main prints "ready" and ends: it returns
// when STATUS is 0, else calls os.Exit(STATUS). A wrong errno prints "FAIL" and exits 100.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func check(what string, errno, want syscall.Errno) {
	if errno != want {
		fmt.Fprintf(os.Stderr, "FAIL: %s: errno %d, want %d\n", what, int(errno), int(want))
		os.Exit(100)
	}
}

func busy(kind int, started *sync.WaitGroup) {
	path := []byte("/gohammer-dir\x00")
	for first := true; ; first = false {
		switch kind {
		case 0:
			_, _, e := syscall.Syscall(syscall.SYS_GETPGID, 0, 0, 0)
			check("getpgid", e, 42)
		case 1:
			_, _, e := syscall.Syscall(syscall.SYS_MKDIRAT, uintptr(0xffffff9c), // AT_FDCWD
				uintptr(unsafe.Pointer(&path[0])), 0o755)
			check("mkdirat", e, 13)
		default:
			_, _, e := syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
			check("getpid", e, 0)
		}
		if first {
			started.Done()
		}
	}
}

func main() {
	status := 0
	if len(os.Args) > 1 {
		status, _ = strconv.Atoi(os.Args[1])
	}
	const workers = 9
	var started sync.WaitGroup
	started.Add(workers + 2)
	for i := 0; i < workers; i++ {
		go busy(i%3, &started)
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: pipe:", err)
		os.Exit(100)
	}
	go func() {
		started.Done()
		buf := make([]byte, 1)
		syscall.Read(p[0], buf) // blocks: nobody writes
	}()
	go func() {
		started.Done()
		for {
			time.Sleep(time.Millisecond)
		}
	}()
	started.Wait()
	fmt.Println("ready")
	if status != 0 {
		os.Exit(status)
	}
}
