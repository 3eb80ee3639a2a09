package keylock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestMapSerializesPerKey(t *testing.T) {
	t.Parallel()
	var (
		m       Map
		wg      sync.WaitGroup
		mu      sync.Mutex
		inside  int
		maxSeen int
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := m.Lock(context.Background(), "k")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			maxSeen = max(maxSeen, inside)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
			unlock() // a second call is harmless
		}()
	}
	wg.Wait()
	if maxSeen != 1 {
		t.Errorf("%d goroutines held the key at once", maxSeen)
	}
	if len(m.held) != 0 {
		t.Errorf("%d entries left after every lock was released", len(m.held))
	}
	unlock, _ := m.Lock(context.Background(), "k")
	defer unlock()
	other, err := m.Lock(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := m.Lock(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a held key = %v, want DeadlineExceeded", err)
	}
}
