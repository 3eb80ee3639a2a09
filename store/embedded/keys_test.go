package embedded

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

// TestExpiredEntriesArePurged: expired keys and counters read as absent at
// once, and later writes delete them from the file, so that a store that
// de-duplicates every message does not grow without bound.
func TestExpiredEntriesArePurged(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	s, err := Open(Config{Dir: t.TempDir(), Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	x := []byte("x")

	for i := range 40 {
		must(t, s.SetKey(ctx, fmt.Sprint("dedupe:", i), x, time.Minute))
	}
	if _, err := s.Increment(ctx, "window", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	must(t, s.SetKey(ctx, "kept", x, time.Minute))
	must(t, s.SetKey(ctx, "kept", x, 0)) // made permanent: its expiry entry goes
	if _, _, err := s.AddKey(ctx, "renewed", x, time.Minute); err != nil {
		t.Fatal(err)
	}
	must(t, s.SetKey(ctx, "renewed", x, time.Hour)) // its old expiry entry goes
	if n := countEntries(t, s, bucketExpiry); n != 42 {
		t.Fatalf("expiry index has %d entries, want 42 (40 keys, window, renewed)", n)
	}

	clock.Add(int64(2 * time.Minute))
	if _, err := s.Key(ctx, "dedupe:0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired Key = %v, want ErrNotFound", err)
	}
	if n, _ := s.Counter(ctx, "window"); n != 0 {
		t.Errorf("expired Counter = %d, want 0", n)
	}
	if n := countEntries(t, s, bucketKeys); n != 42 {
		t.Errorf("keys bucket has %d entries before any write, want 42 (reads purge nothing)", n)
	}

	// Each write purges up to purgeLimit: three purge all 41 expired.
	for i := range 3 {
		must(t, s.SetKey(ctx, fmt.Sprint("new:", i), x, 0))
	}
	if n := countEntries(t, s, bucketExpiry); n != 1 {
		t.Errorf("expiry index has %d entries after the purge, want 1 (renewed)", n)
	}
	if n := countEntries(t, s, bucketKeys); n != 5 {
		t.Errorf("keys bucket has %d entries after the purge, want 5 (kept, renewed, 3 new)", n)
	}
	if n := countEntries(t, s, bucketCounters); n != 0 {
		t.Errorf("counters bucket has %d entries after the purge, want 0", n)
	}
	for _, key := range []string{"kept", "renewed", "new:0"} {
		if _, err := s.Key(ctx, key); err != nil {
			t.Errorf("Key(%s) after the purge: %v", key, err)
		}
	}
}

func countEntries(t *testing.T, s *Store, bucket []byte) int {
	t.Helper()
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
