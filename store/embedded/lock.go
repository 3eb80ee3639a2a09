package embedded

import (
	"context"
	"sync"
)

// locker serializes work per key inside one process, which is all the
// embedded backend ever has (the data file admits one process).
type locker struct {
	mu   sync.Mutex
	held map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one token while the key is locked
	refs int           // goroutines holding or waiting; the entry is dropped at 0
}

func newLocker() *locker { return &locker{held: make(map[string]*keyLock)} }

// Lock implements store.Locker.
func (l *locker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	k := l.held[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.held[key] = k
	}
	k.refs++
	l.mu.Unlock()

	select {
	case k.ch <- struct{}{}:
	case <-ctx.Done():
		l.release(key, k)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-k.ch
			l.release(key, k)
		})
	}, nil
}

func (l *locker) release(key string, k *keyLock) {
	l.mu.Lock()
	k.refs--
	if k.refs == 0 {
		delete(l.held, key)
	}
	l.mu.Unlock()
}
