package redis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/storetest"
)

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		prefix := uniquePrefix()
		dropPrefix(t, url, prefix)
		s, err := Open(context.Background(), Config{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestConversationKeysShareASlot: the Lua scripts touch several keys of a
// conversation, which Redis Cluster allows only within one slot.
func TestConversationKeysShareASlot(t *testing.T) {
	t.Parallel()
	k := keys{prefix: DefaultPrefix}
	tag := func(key string) string {
		_, rest, _ := strings.Cut(key, "{")
		tag, _, _ := strings.Cut(rest, "}")
		return tag
	}
	for _, part := range []string{"meta", "stream", "ids", "lock"} {
		if got := tag(k.conv("abc", part)); got != "conv:abc" {
			t.Errorf("hash tag of %s = %q, want conv:abc", k.conv("abc", part), got)
		}
	}
	if a, b := tag(k.kb("edits")), tag(k.kb("order")); a != b || a == "" {
		t.Errorf("knowledge keys in different slots: %q, %q", a, b)
	}
	for _, name := range []string{"handoff", "odd}name"} {
		if a, b := tag(k.log(name, "seq")), tag(k.log(name, "stream")); a != b || a == "" {
			t.Errorf("keys of log %q in different slots: %q, %q", name, a, b)
		}
	}
	if _, err := Open(context.Background(), Config{URL: "redis://127.0.0.1:1", Prefix: "x{y}:"}); err == nil || !strings.Contains(err.Error(), "hash tags") {
		t.Errorf("prefix with braces: error %v, want one about hash tags", err)
	}
}

func TestOpenUnreachableFailsFast(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, err := Open(context.Background(), Config{URL: "redis://:secret@127.0.0.1:1/0"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open on a closed port: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the password: %v", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

// TestRedisDownAndBack: while Redis cannot be reached every call fails
// with ErrUnavailable (quickly: a lock does not wait for its context); when
// it is back, the same Store carries on, and its subscribers are told to
// resync because events may have been lost.
func TestRedisDownAndBack(t *testing.T) {
	url := testURL(t)
	opts, err := ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, opts.Addrs[0])
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	viaProxy := fmt.Sprintf("redis://%s/%d", p.addr, opts.DB)
	if opts.Password != "" {
		viaProxy = fmt.Sprintf("redis://%s:%s@%s/%d", opts.Username, opts.Password, p.addr, opts.DB)
	}
	s := openStore(t, viaProxy, prefix)
	other := openStore(t, url, prefix) // on Redis directly: publishes while the proxy is down
	ctx := context.Background()
	if _, err := s.CreateConversation(ctx, store.Conversation{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, "conv:c1")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	p.stop()
	checks := map[string]func(ctx context.Context) error{
		"Ping": s.Ping,
		"Append": func(ctx context.Context) error {
			_, _, err := s.Append(ctx, "c1", store.Message{ID: "m1", Text: "x"})
			return err
		},
		"Messages": func(ctx context.Context) error { _, err := s.Messages(ctx, "c1", 0, 10); return err },
		"Conversation": func(ctx context.Context) error {
			_, err := s.Conversation(ctx, "c1")
			return err
		},
		"Session": func(ctx context.Context) error { _, err := s.Session(ctx, "h"); return err },
		"AddKey": func(ctx context.Context) error {
			_, _, err := s.AddKey(ctx, "dedupe:1", []byte("x"), time.Minute)
			return err
		},
		"Increment": func(ctx context.Context) error { _, err := s.Increment(ctx, "n", 1, 0); return err },
		"UpdateRecord": func(ctx context.Context) error {
			_, err := s.UpdateRecord(ctx, "agent", "a1", func([]byte) ([]byte, error) { return []byte("{}"), nil })
			return err
		},
		"Records":   func(ctx context.Context) error { _, err := s.Records(ctx, "agent"); return err },
		"AppendLog": func(ctx context.Context) error { _, err := s.AppendLog(ctx, "handoff", []byte("x")); return err },
		"Lock": func(ctx context.Context) error {
			unlock, err := s.Lock(ctx, "c1")
			if err == nil {
				unlock()
			}
			return err
		},
		"Publish": func(ctx context.Context) error { return s.Publish(ctx, "conv:c1", []byte("x")) },
		"Subscribe": func(ctx context.Context) error {
			sub, err := s.Subscribe(ctx, "conv:other")
			if err == nil {
				sub.Close()
			}
			return err
		},
	}
	for name, fn := range checks {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		err := fn(ctx)
		cancel()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", name, err)
		}
		t.Logf("%s with Redis down failed after %v", name, time.Since(start).Round(time.Millisecond))
		// Subscribe may wait the whole confirmWait for a confirmation
		// that cannot come; everything else fails at once.
		if d := time.Since(start); d > confirmWait+time.Second {
			t.Errorf("%s took %v to fail", name, d)
		}
	}
	// Published while this instance could not hear it.
	if _, _, err := other.Append(ctx, "c1", store.Message{Text: "missed"}); err != nil {
		t.Fatal(err)
	}
	other.Publish(ctx, "conv:c1", []byte("missed"))

	p.restart(t)
	back := time.Now()
	eventually(t, 15*time.Second, func() error { return s.Ping(ctx) })
	t.Logf("Ping ok %v after Redis came back", time.Since(back).Round(time.Millisecond))
	if m, _, err := s.Append(ctx, "c1", store.Message{ID: "m1", Text: "x"}); err != nil || m.Seq != 2 {
		t.Fatalf("Append after Redis came back = seq %d, %v; want 2", m.Seq, err)
	}
	select {
	case got := <-sub.C():
		if string(got) != store.ResyncPayload {
			t.Errorf("first event after the outage = %q, want the resync nudge", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no resync nudge after the bus reconnected")
	}
}

// TestNoGoroutinesLeft: Close stops the bus reader and the lock renewals.
func TestNoGoroutinesLeft(t *testing.T) {
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	before := runtime.NumGoroutine()
	s, err := Open(context.Background(), Config{URL: url, Prefix: prefix, LockTTL: 90 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sub, _ := s.Subscribe(ctx, "t")
	unlock, err := s.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	_ = sub
	s.Close()
	unlock() // after Close: harmless
	eventually(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before Open", n, before)
		}
		return nil
	})
}
