package handoff

import (
	"context"
	"testing"

	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
)

type nopPoster struct{}

func (nopPoster) Post(ctx context.Context, conv store.Conversation, m store.Message) (store.Message, error) {
	return m, nil
}
func (nopPoster) Deliver(ctx context.Context, conv store.Conversation, m store.Message) {}

// TestSharedBoardFollowsVersions: consoles share one copy of the board
// while it is as new as the change announced to them, and read the store
// when it is not (another instance changed it).
func TestSharedBoardFollowsVersions(t *testing.T) {
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	here, err := New(Config{Store: st, Poster: nopPoster{}})
	if err != nil {
		t.Fatal(err)
	}
	there, err := New(Config{Store: st, Poster: nopPoster{}}) // another instance on the same store
	if err != nil {
		t.Fatal(err)
	}
	if err := here.Connect(ctx, Presence{Username: "li", MaxChats: 3}, ""); err != nil {
		t.Fatal(err)
	}
	b1, err := here.SharedBoard(ctx, 0)
	if err != nil || b1.Version != 1 || b1.Agents["li"] == nil {
		t.Fatalf("after one change: %+v, %v", b1, err)
	}
	if b, _ := here.SharedBoard(ctx, 1); b != b1 {
		t.Error("a board as new as asked for was read again")
	}
	if err := there.Connect(ctx, Presence{Username: "wang", MaxChats: 3}, ""); err != nil {
		t.Fatal(err)
	}
	// The announcement says version 2: this instance's copy is too old.
	b2, err := here.SharedBoard(ctx, 2)
	if err != nil || b2.Version != 2 || b2.Agents["wang"] == nil {
		t.Fatalf("after the other instance's change: %+v, %v", b2, err)
	}
	if b, _ := here.SharedBoard(ctx, 1); b != b2 {
		t.Error("an older version replaced the newer shared board")
	}
	// A lost announcement: a fresh read (-1) finds the change anyway.
	if err := there.SetStatus(ctx, "wang", StatusAway); err != nil {
		t.Fatal(err)
	}
	if b, err := here.SharedBoard(ctx, -1); err != nil || b.Version != 3 || b.Agents["wang"].Status != StatusAway {
		t.Errorf("fresh read after an unannounced change = version %d, %v", b.Version, err)
	}
}
