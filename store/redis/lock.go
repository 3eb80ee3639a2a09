package redis

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var _ store.Locker = (*Store)(nil)

// A conversation lock is the key {conv:<id>}:lock holding the holder's
// random token, set with SET NX PX. The holder renews the expiry every
// LockTTL/3 while it holds the lock, so a long answer keeps it, and a
// holder that crashed loses it after LockTTL. Renewing and releasing check
// the token first (in Lua, atomically): a holder whose lock expired and
// was taken by another can neither extend nor delete the new holder's.
//
// Inside one process, goroutines that want the same key queue on a local
// lock first, so only one of them at a time polls Redis.

// renewScript extends the lock if it is still the caller's.
// KEYS: lock. ARGV: token, TTL (ms). Returns 1, or 0 if not the owner.
var renewScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lock if it is still the caller's.
// KEYS: lock. ARGV: token. Returns 1, or 0 if not the owner.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Polling for a lock held on another instance backs off from
// lockPollMin to lockPollMax. Contention across instances is rare (one
// citizen writing from two devices at once), so polling costs little.
const (
	lockPollMin = 2 * time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// Lock implements store.Locker: the lock holds across instances. An
// unreachable Redis fails at once (wrapping store.ErrUnavailable) rather
// than waiting for ctx.
func (s *Store) Lock(ctx context.Context, key string) (func(), error) {
	unlockLocal, err := s.local.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	k := s.keys.conv(key, "lock")
	token := newToken()
	wait := lockPollMin
	for {
		ok, err := s.client.SetNX(ctx, k, token, s.lockTTL).Result()
		if err != nil {
			unlockLocal()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, unavailable("lock", err)
		}
		if ok {
			break
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1)) // jitter: instances don't poll in step
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			unlockLocal()
			return nil, ctx.Err()
		}
		wait = min(2*wait, lockPollMax)
	}

	h := &heldLock{s: s, key: k, token: token, stop: make(chan struct{}), stopped: make(chan struct{}), renewed: time.Now()}
	if !s.spawn(h.renew) {
		close(h.stopped)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.release()
			unlockLocal()
		})
	}, nil
}

// heldLock is one lock this process holds.
type heldLock struct {
	s          *Store
	key, token string
	stop       chan struct{} // closed by release: stop renewing
	stopped    chan struct{} // closed when renew has returned

	mu      sync.Mutex
	renewed time.Time // when the expiry was last set; the key lives until renewed+TTL
}

// renew extends the lock every TTL/3 until released or the store closes.
func (h *heldLock) renew() {
	defer close(h.stopped)
	every := h.s.lockTTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.s.done:
			return
		case <-t.C:
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		ok, err := renewScript.Run(ctx, h.s.client, []string{h.key}, h.token, h.s.lockTTL.Milliseconds()).Int()
		cancel()
		switch {
		case err != nil:
			// Try again on the next tick; the lock lives until its TTL.
			h.s.log.Warn("renew conversation lock failed", "key", h.key, "err", err)
		case ok == 0:
			h.s.log.Error("conversation lock lost: held longer than its TTL without renewal", "key", h.key)
			return
		default:
			h.mu.Lock()
			h.renewed = start
			h.mu.Unlock()
		}
	}
}

// release stops renewing and deletes the lock if it is still ours. When
// Redis cannot be reached, it keeps trying in the background until the
// lock would have expired anyway, so that the next message of the
// conversation need not wait for the TTL after a short outage.
func (h *heldLock) release() {
	close(h.stop)
	<-h.stopped
	if h.tryRelease() == nil {
		return
	}
	h.mu.Lock()
	expires := h.renewed.Add(h.s.lockTTL)
	h.mu.Unlock()
	h.s.spawn(func() {
		wait := 100 * time.Millisecond
		for time.Now().Before(expires) {
			t := time.NewTimer(wait)
			select {
			case <-h.s.done:
				t.Stop()
				return
			case <-t.C:
			}
			if h.tryRelease() == nil {
				return
			}
			wait = min(2*wait, time.Second)
		}
	})
}

func (h *heldLock) tryRelease() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := releaseScript.Run(ctx, h.s.client, []string{h.key}, h.token).Err()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return err
	}
	return nil
}
