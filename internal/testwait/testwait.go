// Package testwait waits in tests for something that happens
// asynchronously, without fixed sleeps: shared machines are noisy.
package testwait

import (
	"testing"
	"time"
)

// Until calls fn until it returns nil, backing off from 10 ms to 250 ms
// between calls, and fails the test with fn's last error if it still
// fails after timeout.
func Until(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", timeout, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 250*time.Millisecond)
	}
}
