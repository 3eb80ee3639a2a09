// Package keylock serializes the goroutines of one process per key. The
// embedded store uses it as its whole store.Locker; the Redis store takes it
// before the shared Redis lock, so that goroutines of one instance queue
// locally instead of polling Redis.
package keylock

import (
	"context"
	"sync"
)

// Map holds one lock per key, created on first use and dropped when no
// goroutine holds or waits for it. The zero value is ready to use.
type Map struct {
	mu   sync.Mutex
	held map[string]*entry
}

type entry struct {
	ch   chan struct{} // holds one token while the key is locked
	refs int           // goroutines holding or waiting; the entry is dropped at 0
}

// Lock blocks until key is held or ctx ends. unlock may be called more than
// once; only the first call releases.
func (m *Map) Lock(ctx context.Context, key string) (unlock func(), err error) {
	m.mu.Lock()
	if m.held == nil {
		m.held = make(map[string]*entry)
	}
	e := m.held[key]
	if e == nil {
		e = &entry{ch: make(chan struct{}, 1)}
		m.held[key] = e
	}
	e.refs++
	m.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		m.release(key, e)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			m.release(key, e)
		})
	}, nil
}

func (m *Map) release(key string, e *entry) {
	m.mu.Lock()
	e.refs--
	if e.refs == 0 {
		delete(m.held, key)
	}
	m.mu.Unlock()
}
