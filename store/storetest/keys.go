package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/store"
)

// shortTTL is the TTL of the keys and counters that the tests wait to
// expire: long enough to read them back first, short enough to wait for.
const shortTTL = 150 * time.Millisecond

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Key(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.SetKey(ctx, "a", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Key(ctx, "a"); err != nil || string(got) != "1" {
		t.Errorf("Key(a) = %q, %v; want 1", got, err)
	}
	if err := s.SetKey(ctx, "a", []byte("二"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Key(ctx, "a"); err != nil || string(got) != "二" {
		t.Errorf("Key(a) after SetKey replaced it = %q, %v; want 二", got, err)
	}
	if _, err := s.Key(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key(b) error = %v, want ErrNotFound (keys are separate)", err)
	}
	if err := s.DeleteKey(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Key(a) after DeleteKey error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteKey(ctx, "a"); err != nil {
		t.Errorf("DeleteKey(missing) = %v, want nil", err)
	}

	added, _, err := s.AddKey(ctx, "dedupe:m1", []byte("first"), 0)
	if err != nil || !added {
		t.Fatalf("first AddKey = %v, %v; want added", added, err)
	}
	added, current, err := s.AddKey(ctx, "dedupe:m1", []byte("second"), 0)
	if err != nil || added || string(current) != "first" {
		t.Errorf("second AddKey = added %v, current %q, %v; want not added, current first", added, current, err)
	}
	if got, _ := s.Key(ctx, "dedupe:m1"); string(got) != "first" {
		t.Errorf("Key after a second AddKey = %q, want first", got)
	}
	s.SetKey(ctx, "set", []byte("by SetKey"), 0)
	if added, current, _ := s.AddKey(ctx, "set", []byte("x"), 0); added || string(current) != "by SetKey" {
		t.Errorf("AddKey over SetKey = added %v, current %q; want not added, current by SetKey", added, current)
	}
	s.DeleteKey(ctx, "dedupe:m1")
	if added, _, err := s.AddKey(ctx, "dedupe:m1", []byte("again"), 0); err != nil || !added {
		t.Errorf("AddKey after DeleteKey = %v, %v; want added", added, err)
	}

	if err := s.SetKey(ctx, "", []byte("x"), 0); err == nil {
		t.Error("SetKey with an empty key succeeded")
	}
	if err := s.SetKey(ctx, "neg", []byte("x"), -time.Second); err == nil {
		t.Error("SetKey with a negative TTL succeeded")
	}
	if _, _, err := s.AddKey(ctx, "neg", []byte("x"), -time.Second); err == nil {
		t.Error("AddKey with a negative TTL succeeded")
	}
}

func testKeyExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.SetKey(ctx, "short", []byte("v"), shortTTL))
	must(t, s.SetKey(ctx, "kept", []byte("v"), 0))
	// SetKey replaces the TTL too: "made-permanent" stays.
	must(t, s.SetKey(ctx, "made-permanent", []byte("v1"), shortTTL))
	must(t, s.SetKey(ctx, "made-permanent", []byte("v2"), 0))
	if added, _, err := s.AddKey(ctx, "added", []byte("v"), shortTTL); err != nil || !added {
		t.Fatalf("AddKey(added) = %v, %v", added, err)
	}
	if got, err := s.Key(ctx, "short"); err != nil || string(got) != "v" {
		t.Fatalf("Key(short) before its TTL = %q, %v", got, err)
	}
	if added, _, _ := s.AddKey(ctx, "added", []byte("again"), shortTTL); added {
		t.Error("AddKey before the TTL of the first passed: added")
	}

	eventually(t, 3*time.Second, func() error {
		if _, err := s.Key(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Key(short) = %v, want ErrNotFound after its TTL", err)
		}
		return nil
	})
	// An expired key counts as absent for AddKey.
	eventually(t, 3*time.Second, func() error {
		added, _, err := s.AddKey(ctx, "added", []byte("again"), 0)
		if err != nil || !added {
			return fmt.Errorf("AddKey over an expired key = %v, %v; want added", added, err)
		}
		return nil
	})
	if got, err := s.Key(ctx, "added"); err != nil || string(got) != "again" {
		t.Errorf("Key(added) = %q, %v; want again", got, err)
	}
	for _, key := range []string{"kept", "made-permanent"} {
		if _, err := s.Key(ctx, key); err != nil {
			t.Errorf("Key(%s) without TTL after the others expired: %v", key, err)
		}
	}
}

func testConcurrentAddKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	const callers = 20
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []string
		seen    []string // the current values the others saw
	)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			value := fmt.Sprint("caller-", i)
			added, current, err := s.AddKey(ctx, "dedupe:wechat:1", []byte(value), time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if added {
				winners = append(winners, value)
			} else {
				seen = append(seen, string(current))
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d callers added the key (%v), want exactly 1", len(winners), winners)
	}
	for _, v := range seen {
		if v != winners[0] {
			t.Errorf("a caller that did not add saw current %q, want the winner's %q", v, winners[0])
		}
	}
	if got, _ := s.Key(ctx, "dedupe:wechat:1"); string(got) != winners[0] {
		t.Errorf("Key = %q, want the winner's %q", got, winners[0])
	}
}

func testCounters(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.Counter(ctx, "sent"); err != nil || n != 0 {
		t.Errorf("Counter(missing) = %d, %v; want 0", n, err)
	}
	for _, step := range []struct{ delta, want int64 }{{1, 1}, {5, 6}, {-2, 4}, {0, 4}} {
		if n, err := s.Increment(ctx, "sent", step.delta, 0); err != nil || n != step.want {
			t.Errorf("Increment(%d) = %d, %v; want %d", step.delta, n, err, step.want)
		}
	}
	if n, _ := s.Counter(ctx, "sent"); n != 4 {
		t.Errorf("Counter(sent) = %d, want 4", n)
	}
	if n, _ := s.Counter(ctx, "other"); n != 0 {
		t.Errorf("Counter(other) = %d, want 0 (counters are separate)", n)
	}
	if n, _ := s.Increment(ctx, "other", -3, 0); n != -3 {
		t.Errorf("Increment(other, -3) on a new counter = %d, want -3", n)
	}
	if _, err := s.Increment(ctx, "", 1, 0); err == nil {
		t.Error("Increment of an empty name succeeded")
	}
	if _, err := s.Increment(ctx, "neg", 1, -time.Second); err == nil {
		t.Error("Increment with a negative TTL succeeded")
	}

	const workers, each = 20, 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]bool{}
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := s.Increment(ctx, "orders", 1, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("two increments returned %d", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n, _ := s.Counter(ctx, "orders"); n != workers*each {
		t.Errorf("after %d concurrent increments Counter = %d", workers*each, n)
	}
	for i := int64(1); i <= workers*each; i++ {
		if !seen[i] {
			t.Fatalf("no increment returned %d", i)
		}
	}
}

func testCounterExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	start := time.Now()
	if n, err := s.Increment(ctx, "window", 1, shortTTL); err != nil || n != 1 {
		t.Fatalf("Increment(window) = %d, %v", n, err)
	}
	if n, _ := s.Increment(ctx, "kept", 1, 0); n != 1 {
		t.Fatalf("Increment(kept) = %d", n)
	}
	// Later increments, with any TTL, do not extend the window: it starts
	// again at 1 about shortTTL after it was created.
	eventually(t, 3*time.Second, func() error {
		n, err := s.Increment(ctx, "window", 1, time.Hour)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("counter at %d %v after creation, want it expired", n, time.Since(start))
		}
		return nil
	})
	if elapsed := time.Since(start); elapsed < shortTTL {
		t.Errorf("counter expired after %v, before its TTL %v", elapsed, shortTTL)
	}
	if n, _ := s.Counter(ctx, "kept"); n != 1 {
		t.Errorf("Counter(kept) without TTL = %d, want 1", n)
	}
	if n, _ := s.Increment(ctx, "read", 7, shortTTL); n != 7 {
		t.Fatalf("Increment(read) = %d", n)
	}
	eventually(t, 3*time.Second, func() error {
		if n, err := s.Counter(ctx, "read"); err != nil || n != 0 {
			return fmt.Errorf("Counter(read) = %d, %v; want 0 after its TTL", n, err)
		}
		return nil
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually polls fn until it returns nil, failing the test at timeout.
var eventually = testwait.Until
