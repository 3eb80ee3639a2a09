package wsgroup

import (
	"context"
	"testing"
	"time"
)

func TestShutdownWaitsForMembers(t *testing.T) {
	var g Group
	away := make(chan struct{})
	leave, ok := g.Join(func() { close(away) })
	if !ok {
		t.Fatal("Join refused before Shutdown")
	}
	ended := make(chan struct{})
	g.Go(func() {
		<-away // the connection's writer ends when told to go away
		close(ended)
	})
	go func() {
		<-ended
		leave()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-ended:
	default:
		t.Fatal("Shutdown returned before the member ended")
	}
	if _, ok := g.Join(func() {}); ok {
		t.Error("Join accepted a connection after Shutdown")
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	var g Group
	if _, ok := g.Join(func() {}); !ok { // never leaves
		t.Fatal("Join refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
}
