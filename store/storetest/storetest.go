// Package storetest is the conformance suite every store backend must pass:
// sequence numbers, ordering, duplicates, sessions, locks under contention,
// concurrent writers, the bus, expiring keys and counters, records and logs.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/store"
)

// Run runs the suite. open returns a fresh, empty store; it is closed by
// the suite.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Conversations", testConversations},
		{"AppendAssignsSequence", testAppendSequence},
		{"DuplicateIDStoredOnce", testDuplicate},
		{"MessagesAfter", testMessagesAfter},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Sessions", testSessions},
		{"LockContention", testLock},
		{"Bus", testBus},
		{"KnowledgeEdits", testKnowledgeEdits},
		{"Misses", testMisses},
		{"Keys", testKeys},
		{"KeyExpiry", testKeyExpiry},
		{"ConcurrentAddKey", testConcurrentAddKey},
		{"Counters", testCounters},
		{"CounterExpiry", testCounterExpiry},
		{"Records", testRecords},
		{"ConcurrentUpdateRecord", testConcurrentUpdateRecord},
		{"Logs", testLogs},
		{"ConcurrentAppendLog", testConcurrentAppendLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

func newConversation(t *testing.T, s store.Store, id string) store.Conversation {
	t.Helper()
	c, err := s.CreateConversation(context.Background(), store.Conversation{ID: id, Channel: "web", User: "u-" + id, State: "bot"})
	if err != nil {
		t.Fatalf("CreateConversation(%s): %v", id, err)
	}
	return c
}

func testConversations(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConversation(t, s, "c1")
	if c.Created.IsZero() || c.LastSeq != 0 {
		t.Errorf("created conversation = %+v, want Created set and LastSeq 0", c)
	}
	if _, err := s.CreateConversation(ctx, store.Conversation{ID: "c1"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("second CreateConversation(c1) error = %v, want ErrExists", err)
	}
	if _, err := s.Conversation(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Conversation(nope) error = %v, want ErrNotFound", err)
	}
	got, err := s.UpdateConversation(ctx, "c1", func(c *store.Conversation) error {
		c.State = "leave_message"
		c.Data = map[string]string{"k": "v"}
		return nil
	})
	if err != nil || got.State != "leave_message" {
		t.Fatalf("UpdateConversation = %+v, %v", got, err)
	}
	got, err = s.Conversation(ctx, "c1")
	if err != nil || got.State != "leave_message" || got.Data["k"] != "v" || got.User != "u-c1" {
		t.Errorf("after update Conversation = %+v, %v", got, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateConversation(ctx, "c1", func(c *store.Conversation) error { c.State = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing update error = %v, want boom", err)
	}
	if got, _ := s.Conversation(ctx, "c1"); got.State != "leave_message" {
		t.Errorf("failing update changed state to %q", got.State)
	}
	if _, err := s.UpdateConversation(ctx, "nope", func(*store.Conversation) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateConversation(nope) error = %v, want ErrNotFound", err)
	}
}

func testAppendSequence(t *testing.T, s store.Store) {
	ctx := context.Background()
	newConversation(t, s, "c1")
	newConversation(t, s, "c2")
	for i := 1; i <= 3; i++ {
		m, dup, err := s.Append(ctx, "c1", store.Message{From: store.FromBot, Text: fmt.Sprint("m", i)})
		if err != nil || dup || m.Seq != int64(i) || m.Time.IsZero() {
			t.Fatalf("Append #%d = %+v dup=%v err=%v, want seq %d", i, m, dup, err, i)
		}
	}
	if m, _, err := s.Append(ctx, "c2", store.Message{From: store.FromBot, Text: "other"}); err != nil || m.Seq != 1 {
		t.Errorf("first Append to c2 = seq %d, %v; want 1 (sequences are per conversation)", m.Seq, err)
	}
	c, _ := s.Conversation(ctx, "c1")
	if c.LastSeq != 3 {
		t.Errorf("LastSeq = %d, want 3", c.LastSeq)
	}
	if _, _, err := s.Append(ctx, "missing", store.Message{Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Append to a missing conversation error = %v, want ErrNotFound", err)
	}
}

func testDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	newConversation(t, s, "c1")
	first, dup, err := s.Append(ctx, "c1", store.Message{ID: "client-1", From: store.FromCitizen, Text: "社保卡丢了怎么办"})
	if err != nil || dup {
		t.Fatalf("first Append = %v dup=%v", err, dup)
	}
	again, dup, err := s.Append(ctx, "c1", store.Message{ID: "client-1", From: store.FromCitizen, Text: "社保卡丢了怎么办"})
	if err != nil || !dup || again.Seq != first.Seq || again.Text != first.Text {
		t.Errorf("retried Append = %+v dup=%v err=%v, want the first message (seq %d) and dup", again, dup, err, first.Seq)
	}
	msgs, _ := s.Messages(ctx, "c1", 0, 10)
	if len(msgs) != 1 {
		t.Errorf("transcript has %d messages after a retry, want 1", len(msgs))
	}
	// The same client id in another conversation is another message.
	newConversation(t, s, "c2")
	if _, dup, _ := s.Append(ctx, "c2", store.Message{ID: "client-1", Text: "x"}); dup {
		t.Error("client id in another conversation reported as duplicate")
	}
}

func testMessagesAfter(t *testing.T, s store.Store) {
	ctx := context.Background()
	newConversation(t, s, "c1")
	for i := 1; i <= 10; i++ {
		s.Append(ctx, "c1", store.Message{From: store.FromBot, Text: fmt.Sprint(i), Options: []string{"a"}, Meta: map[string]string{"k": "v"}})
	}
	msgs, err := s.Messages(ctx, "c1", 4, 3)
	if err != nil || len(msgs) != 3 || msgs[0].Seq != 5 || msgs[2].Seq != 7 {
		t.Fatalf("Messages(after 4, limit 3) = %+v, %v; want seqs 5..7", msgs, err)
	}
	if msgs[0].Text != "5" || msgs[0].Options[0] != "a" || msgs[0].Meta["k"] != "v" {
		t.Errorf("message fields not kept: %+v", msgs[0])
	}
	if msgs, _ := s.Messages(ctx, "c1", 10, 5); len(msgs) != 0 {
		t.Errorf("Messages after the last = %d messages, want 0", len(msgs))
	}
	if msgs, err := s.Messages(ctx, "unknown", 0, 5); err != nil || len(msgs) != 0 {
		t.Errorf("Messages of an unknown conversation = %v, %v; want none", msgs, err)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	newConversation(t, s, "c1")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Every message is sent twice, as a client retry would.
				m := store.Message{ID: fmt.Sprintf("w%d-%d", w, i), From: store.FromCitizen, Text: "x"}
				for range 2 {
					if _, _, err := s.Append(ctx, "c1", m); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	msgs, err := s.Messages(ctx, "c1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != writers*each {
		t.Fatalf("stored %d messages, want %d (each once)", len(msgs), writers*each)
	}
	ids := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: gaps or duplicates", i, m.Seq)
		}
		if ids[m.ID] {
			t.Fatalf("id %s stored twice", m.ID)
		}
		ids[m.ID] = true
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Session(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(unknown) error = %v, want ErrNotFound", err)
	}
	if err := s.SaveSession(ctx, "h1", "c1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "h1"); err != nil || got != "c1" {
		t.Errorf("Session(h1) = %q, %v; want c1", got, err)
	}
}

func testLock(t *testing.T, s store.Store) {
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		inside  int
		maxSeen int
	)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := s.Lock(ctx, "c1")
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
		}()
	}
	wg.Wait()
	if maxSeen != 1 {
		t.Errorf("%d goroutines held the lock at once, want 1", maxSeen)
	}
	// Other keys are independent, and a waiter gives up with its context.
	unlock, err := s.Lock(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	other, err := s.Lock(ctx, "c2")
	if err != nil {
		t.Fatalf("lock on another key blocked: %v", err)
	}
	other()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, "c1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock on a held key with an expiring context = %v, want DeadlineExceeded", err)
	}
}

func testBus(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.Subscribe(ctx, "conv:1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Subscribe(ctx, "conv:1")
	other, _ := s.Subscribe(ctx, "conv:2")
	defer other.Close()
	if err := s.Publish(ctx, "conv:1", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	for name, sub := range map[string]store.Subscription{"a": a, "b": b} {
		select {
		case got := <-sub.C():
			if string(got) != "hello" {
				t.Errorf("subscriber %s got %q", name, got)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("subscriber %s got nothing", name)
		}
	}
	select {
	case got := <-other.C():
		t.Errorf("subscriber of another topic got %q", got)
	case <-time.After(50 * time.Millisecond):
	}
	a.Close()
	if _, ok := <-a.C(); ok {
		t.Error("closed subscription's channel is still open")
	}
	s.Publish(ctx, "conv:1", []byte("after close")) // must not panic or block
	b.Close()
}

func testKnowledgeEdits(t *testing.T, s store.Store) {
	ctx := context.Background()
	if edits, err := s.KnowledgeEdits(ctx, 0); err != nil || len(edits) != 0 {
		t.Fatalf("KnowledgeEdits on an empty store = %v, %v", edits, err)
	}
	a1, err := s.SaveKnowledgeEdit(ctx, store.KnowledgeEdit{ID: "a", Entry: []byte(`{"id":"a","v":1}`), By: "admin"})
	if err != nil || a1.Version <= 0 || a1.Time.IsZero() {
		t.Fatalf("SaveKnowledgeEdit = %+v, %v; want a version and a time", a1, err)
	}
	b1, _ := s.SaveKnowledgeEdit(ctx, store.KnowledgeEdit{ID: "b", Entry: []byte(`{"id":"b"}`)})
	a2, _ := s.SaveKnowledgeEdit(ctx, store.KnowledgeEdit{ID: "a", Retired: true})
	if !(a1.Version < b1.Version && b1.Version < a2.Version) {
		t.Fatalf("versions %d, %d, %d do not increase", a1.Version, b1.Version, a2.Version)
	}
	edits, err := s.KnowledgeEdits(ctx, 0)
	if err != nil || len(edits) != 2 || edits[0].ID != "b" || edits[1].ID != "a" || !edits[1].Retired {
		t.Fatalf("KnowledgeEdits(0) = %+v, %v; want b, then a retired (newest per id, by version)", edits, err)
	}
	if edits, _ := s.KnowledgeEdits(ctx, b1.Version); len(edits) != 1 || edits[0].ID != "a" {
		t.Errorf("KnowledgeEdits(after b) = %+v, want only a", edits)
	}
	if edits, _ := s.KnowledgeEdits(ctx, a2.Version); len(edits) != 0 {
		t.Errorf("KnowledgeEdits(after newest) = %+v, want none", edits)
	}
}

func testMisses(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, q := range []string{"护照加急", "红烧肉怎么做", "护照加急", "护照加急", "红烧肉怎么做", "股票"} {
		if err := s.RecordMiss(ctx, q, "none"); err != nil {
			t.Fatal(err)
		}
	}
	s.RecordMiss(ctx, "股票", "clarify")
	misses, err := s.Misses(ctx, 2)
	if err != nil || len(misses) != 2 {
		t.Fatalf("Misses(2) = %+v, %v", misses, err)
	}
	if misses[0].Query != "护照加急" || misses[0].Count != 3 || misses[0].First.After(misses[0].Last) {
		t.Errorf("most asked = %+v, want 护照加急 ×3", misses[0])
	}
	all, _ := s.Misses(ctx, 0)
	if len(all) != 3 {
		t.Fatalf("Misses(0) returned %d, want all 3", len(all))
	}
	for _, m := range all {
		if m.Query == "股票" && (m.Count != 2 || m.Decision != "clarify") {
			t.Errorf("股票 = %+v, want count 2 and the last decision clarify", m)
		}
	}
}
