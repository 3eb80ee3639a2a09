// Package wsgroup keeps track of a server's long-lived connections (the
// widget's, the agent console's) so that a graceful shutdown can tell each
// to go away and wait for their goroutines.
package wsgroup

import (
	"context"
	"sync"
)

// Group is a set of live connections. The zero Group is ready to use.
type Group struct {
	mu      sync.Mutex
	members map[*member]struct{}
	closing bool
	wg      sync.WaitGroup
}

type member struct{ goAway func() }

// Join adds a connection; goAway is called once by Shutdown. It returns
// false when the group is shutting down: close the connection at once.
// Otherwise call leave when the connection has ended.
func (g *Group) Join(goAway func()) (leave func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return nil, false
	}
	if g.members == nil {
		g.members = map[*member]struct{}{}
	}
	m := &member{goAway: goAway}
	g.members[m] = struct{}{}
	g.wg.Add(1)
	return func() {
		g.mu.Lock()
		delete(g.members, m)
		g.mu.Unlock()
		g.wg.Done()
	}, true
}

// Go runs fn in a goroutine that Shutdown waits for.
func (g *Group) Go(fn func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
}

// Shutdown refuses new connections, tells every member to go away and
// waits until they and their goroutines have ended or ctx expires.
func (g *Group) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closing = true
	for m := range g.members {
		m.goAway()
	}
	g.mu.Unlock()
	return Wait(ctx, &g.wg)
}

// Wait waits for wg or until ctx expires.
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
