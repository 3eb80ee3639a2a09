package redis

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLockRenewedWhileHeld: a held lock outlives its TTL many times over
// while its holder lives, and is free as soon as the holder unlocks.
func TestLockRenewedWhileHeld(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	ttl := func(c *Config) { c.LockTTL = 150 * time.Millisecond }
	a := openStore(t, url, prefix, ttl)
	b := openStore(t, url, prefix, ttl) // another instance
	ctx := context.Background()

	unlock, err := a.Lock(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 800*time.Millisecond) // > 5 TTLs
	defer cancel()
	if _, err := b.Lock(short, "c1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second instance's Lock while the first holds and renews = %v, want DeadlineExceeded", err)
	}
	unlock()
	start := time.Now()
	got, err := b.Lock(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer got()
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Lock after unlock took %v; the lock was not released at once", d)
	}
}

// TestCrashedHoldersLockExpires: a holder that stops renewing (its process
// died) holds the conversation for at most the TTL.
func TestCrashedHoldersLockExpires(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	ttl := func(c *Config) { c.LockTTL = 300 * time.Millisecond }
	crashed, err := Open(context.Background(), Config{URL: url, Prefix: prefix, LockTTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b := openStore(t, url, prefix, ttl)
	ctx := context.Background()
	if _, err := crashed.Lock(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	crashed.Close() // stops renewing without releasing, as a crash would
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	unlock, err := b.Lock(wait, "c1")
	if err != nil {
		t.Fatalf("Lock after the holder crashed: %v", err)
	}
	defer unlock()
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("got the lock %v after the crash: it was not held at all", d)
	}
}

// TestOnlyOwnerReleases: a holder whose lock expired and was taken by
// another instance neither deletes nor extends the new holder's lock.
func TestOnlyOwnerReleases(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	a := openStore(t, url, prefix)
	b := openStore(t, url, prefix)
	raw := rawClient(t, url)
	ctx := context.Background()
	key := a.keys.conv("c1", "lock")

	unlockA, err := a.Lock(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	raw.Del(ctx, key) // a's lock expires (say, a stalled for longer than the TTL)
	unlockB, err := b.Lock(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockB()
	owner, _ := raw.Get(ctx, key).Result()

	if n, err := renewScript.Run(ctx, a.client, []string{key}, "not-the-token", 10000).Int(); err != nil || n != 0 {
		t.Errorf("renewal with another token = %d, %v; want 0", n, err)
	}
	unlockA() // late: must not free b's lock
	if now, err := raw.Get(ctx, key).Result(); err != nil || now != owner {
		t.Fatalf("after the old holder's unlock the lock is %q, %v; want still %q", now, err, owner)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := a.Lock(short, "c1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock while b holds = %v, want DeadlineExceeded", err)
	}
}
