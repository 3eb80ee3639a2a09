package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/redistest"
	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
)

const pushTestSecret = "push-test-secret"

// pushTestPatience is how long a test waits for what should happen in
// milliseconds before it fails: the embedded store fsyncs every write, and
// on a busy shared disk one fsync can take seconds.
const pushTestPatience = 10 * time.Second

// pushTestText is what must never appear in a log.
const pushTestText = "您的工单已受理，身份证号110101199003071234"

func pushFor(conv string, seq int64) Push {
	return Push{User: "u-" + conv, Conversation: conv, Seq: seq, From: "agent", Text: pushTestText,
		Time: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}
}

// pushClock is a clock that moves only when the test says so.
type pushClock struct {
	mu  sync.Mutex
	now time.Time
}

func newPushClock() *pushClock {
	return &pushClock{now: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *pushClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *pushClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// pushCall is one request the fake push service received.
type pushCall struct {
	key, timestamp string
	push           Push
}

// fakePushService stands in for the app's push service. It checks every
// request the way a real one must (signature, headers, body), and answers
// the n-th request for an idempotency key (n from 1) with answer(n): a
// status, or 0 to reset the connection.
type fakePushService struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(n int) int
	// delay holds every request, widening the window for a double send.
	delay time.Duration

	mu       sync.Mutex
	calls    []pushCall
	perKey   map[string]int
	accepted map[string]int
}

func newFakePushService(t *testing.T, answer func(n int) int) *fakePushService {
	t.Helper()
	f := &fakePushService{t: t, answer: answer, perKey: make(map[string]int), accepted: make(map[string]int)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePushService) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("push service: read body: %v", err)
		return
	}
	ts, key := r.Header.Get("X-Hotline-Timestamp"), r.Header.Get("Idempotency-Key")
	// The signature, computed here independently of SignPush.
	mac := hmac.New(sha256.New, []byte(pushTestSecret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("X-Hotline-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		f.t.Errorf("push service: signature %q, want %q", got, want)
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		f.t.Errorf("push service: timestamp %q: %v", ts, err)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("push service: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	var push Push
	if err := json.Unmarshal(body, &push); err != nil {
		f.t.Errorf("push service: body %s: %v", body, err)
	}
	var fields map[string]any
	json.Unmarshal(body, &fields)
	for _, name := range []string{"user", "conversation", "seq", "from", "text", "time"} {
		if _, ok := fields[name]; !ok {
			f.t.Errorf("push service: body has no %q: %s", name, body)
		}
	}
	if want := fmt.Sprintf("%s:%d", push.Conversation, push.Seq); key != want {
		f.t.Errorf("push service: Idempotency-Key %q, want %q", key, want)
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	f.calls = append(f.calls, pushCall{key: key, timestamp: ts, push: push})
	f.perKey[key]++
	status := f.answer(f.perKey[key])
	if status/100 == 2 {
		f.accepted[key]++
	}
	f.mu.Unlock()
	switch status {
	case 0:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			f.t.Errorf("push service: hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with a reset
		}
		conn.Close()
	default:
		// A fresh connection for the next attempt: the transport would
		// replay a request (it carries an Idempotency-Key) that failed on
		// a reused one, and the script counts requests.
		w.Header().Set("Connection", "close")
		w.WriteHeader(status)
		io.WriteString(w, "body of the answer, never logged")
	}
}

func (f *fakePushService) snapshot() (calls []pushCall, accepted map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	accepted = make(map[string]int, len(f.accepted))
	for k, v := range f.accepted {
		accepted[k] = v
	}
	return append([]pushCall(nil), f.calls...), accepted
}

func alwaysAnswer(status int) func(int) int { return func(int) int { return status } }

// countingPushStore counts the outbox reads: a worker that has read it n
// times since a point has had n chances to send.
type countingPushStore struct {
	PushStore
	reads atomic.Int64
}

func (s *countingPushStore) Records(ctx context.Context, kind string) ([]store.Record, error) {
	s.reads.Add(1)
	return s.PushStore.Records(ctx, kind)
}

// waitReads waits until the worker has read the outbox n more times.
func (s *countingPushStore) waitReads(t *testing.T, n int64) {
	t.Helper()
	target := s.reads.Load() + n
	testwait.Until(t, pushTestPatience, func() error {
		if got := s.reads.Load(); got < target {
			return fmt.Errorf("outbox read %d times, want %d", got, target)
		}
		return nil
	})
}

// pushEnv is one backend's shared data: what several instances, or one
// instance before and after a restart, see.
type pushEnv struct {
	// instance returns another instance's handle on the data (embedded:
	// the one open store; Redis: a new connection).
	instance func() PushStore
	// restart closes the handles and opens a new one, as a restarted
	// hotline does.
	restart func() PushStore
}

type pushBackend struct {
	name string
	env  func(t *testing.T) pushEnv
}

// pushBackends is the embedded store and, when HOTLINE_TEST_REDIS names a
// Redis, the Redis store (under a fresh prefix, dropped after the test).
func pushBackends(t *testing.T) []pushBackend {
	backends := []pushBackend{{name: "embedded", env: embeddedPushEnv}}
	url := os.Getenv("HOTLINE_TEST_REDIS")
	switch {
	case url != "":
		backends = append(backends, pushBackend{name: "redis", env: func(t *testing.T) pushEnv { return redisPushEnv(t, url) }})
	case os.Getenv("HOTLINE_REQUIRE_REDIS") == "1":
		t.Fatal("HOTLINE_REQUIRE_REDIS=1 but HOTLINE_TEST_REDIS is unset")
	}
	return backends
}

func embeddedPushEnv(t *testing.T) pushEnv {
	dir := t.TempDir()
	open := func() *embedded.Store {
		s, err := embedded.Open(embedded.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var mu sync.Mutex
	s := open()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		s.Close()
	})
	return pushEnv{
		instance: func() PushStore {
			mu.Lock()
			defer mu.Unlock()
			return s
		},
		restart: func() PushStore {
			mu.Lock()
			defer mu.Unlock()
			s.Close()
			s = open()
			return s
		},
	}
}

func redisPushEnv(t *testing.T, url string) pushEnv {
	prefix := redistest.Prefix(t, url, "app-push")
	open := func() PushStore { return redistest.Open(t, url, prefix) }
	return pushEnv{instance: open, restart: open}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestPusher makes a Pusher for srv with test-sized timings; edit
// changes the config first.
func newTestPusher(t *testing.T, st PushStore, url string, edit func(*PushConfig)) *Pusher {
	t.Helper()
	cfg := PushConfig{
		URL: url, Secret: pushTestSecret, Store: st,
		Client:     &http.Client{Timeout: 5 * time.Second},
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		Poll: 2 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := NewPusher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runPusher runs p until the returned stop is called (or the test ends);
// stop fails the test if Run does not return promptly.
func runPusher(t *testing.T, p *Pusher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(pushTestPatience):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func outboxItem(t *testing.T, st PushStore, push Push) (pushItem, bool) {
	t.Helper()
	data, err := st.Record(context.Background(), pushKind, push.key())
	if errors.Is(err, store.ErrNotFound) {
		return pushItem{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	it, err := decodePushItem(data)
	if err != nil {
		t.Fatal(err)
	}
	return it, true
}

func waitDelivered(t *testing.T, st PushStore, pushes ...Push) {
	t.Helper()
	testwait.Until(t, pushTestPatience, func() error {
		for _, p := range pushes {
			if it, ok := outboxItem(t, st, p); ok {
				return fmt.Errorf("%s still in the outbox (attempts %d, failed %v, last error %q)", p.key(), it.Attempts, it.Failed, it.LastError)
			}
		}
		return nil
	})
}

// TestPushRetriesWithBackoff: the service fails with a 500, then resets
// the connection, then accepts. The push is sent three times with one
// Idempotency-Key and a valid signature each time, accepted once, and
// the waits between attempts grow (on a clock only the test moves).
func TestPushRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	for _, b := range pushBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.env(t).instance()
			svc := newFakePushService(t, func(n int) int { return [...]int{500, 0, 200}[min(n, 3)-1] })
			clock := newPushClock()
			var logs lockedBuffer
			p := newTestPusher(t, st, svc.srv.URL, func(c *PushConfig) {
				c.Now = clock.Now
				c.MinBackoff, c.MaxBackoff = time.Second, time.Minute
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			p.jitter = func(lo, hi time.Duration) time.Duration { return hi }
			runPusher(t, p)
			push := pushFor("c-retry", 7)
			start := clock.Now()
			if err := p.Enqueue(context.Background(), push); err != nil {
				t.Fatal(err)
			}

			waitAttempts := func(n int) pushItem {
				t.Helper()
				var it pushItem
				testwait.Until(t, pushTestPatience, func() error {
					var ok bool
					if it, ok = outboxItem(t, st, push); !ok || it.Attempts != n || it.Lease != "" {
						return fmt.Errorf("outbox item %+v (present %v), want %d attempts, released", it, ok, n)
					}
					return nil
				})
				return it
			}
			it := waitAttempts(1)
			if want := clock.Now().Add(time.Second); !it.Due.Equal(want) {
				t.Errorf("after attempt 1 due %v, want %v (1 s later)", it.Due, want)
			}
			if it.LastError != "push service answered 500" {
				t.Errorf("last error %q", it.LastError)
			}
			clock.Advance(time.Second)
			it = waitAttempts(2)
			if want := clock.Now().Add(2 * time.Second); !it.Due.Equal(want) {
				t.Errorf("after attempt 2 due %v, want %v (2 s later)", it.Due, want)
			}
			if !strings.HasPrefix(it.LastError, "push service not reached") || strings.Contains(it.LastError, svc.srv.URL) {
				t.Errorf("last error after a reset %q", it.LastError)
			}
			clock.Advance(2 * time.Second)
			waitDelivered(t, st, push)

			calls, accepted := svc.snapshot()
			if len(calls) != 3 || accepted[push.key()] != 1 || len(accepted) != 1 {
				t.Fatalf("%d calls, accepted %v; want 3 calls, %s accepted once", len(calls), accepted, push.key())
			}
			for i, c := range calls {
				if c.key != "c-retry:7" {
					t.Errorf("call %d: Idempotency-Key %q", i+1, c.key)
				}
				if !c.push.Time.Equal(push.Time) || c.push.Text != push.Text || c.push.User != push.User || c.push.From != "agent" {
					t.Errorf("call %d carried %+v, want %+v", i+1, c.push, push)
				}
			}
			// Each attempt is stamped with its own time: 0, +1 s, +3 s.
			for i, offset := range []int64{0, 1, 3} {
				if want := strconv.FormatInt(start.Unix()+offset, 10); calls[i].timestamp != want {
					t.Errorf("call %d timestamp %s, want %s", i+1, calls[i].timestamp, want)
				}
			}
			if out := logs.String(); strings.Contains(out, pushTestText) || strings.Contains(out, "never logged") || !strings.Contains(out, "c-retry") {
				t.Errorf("logs show the text or the answer's body, or not the conversation:\n%s", out)
			}
		})
	}
}

// TestPushBackoffGrows checks the bounds of every wait: between
// MinBackoff and MinBackoff·2^(n-1), capped at MaxBackoff.
func TestPushBackoffGrows(t *testing.T) {
	t.Parallel()
	p := newTestPusher(t, &countingPushStore{}, "http://push.invalid/", func(c *PushConfig) {
		c.MinBackoff, c.MaxBackoff = time.Second, 10*time.Second
	})
	for _, tc := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, time.Second, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, time.Second, 4 * time.Second},
		{4, time.Second, 8 * time.Second},
		{5, time.Second, 10 * time.Second},
		{200, time.Second, 10 * time.Second}, // no overflow
	} {
		seen := make(map[time.Duration]bool)
		for range 200 {
			d := p.backoff(tc.n)
			if d < tc.lo || d > tc.hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.n, d, tc.lo, tc.hi)
			}
			seen[d] = true
		}
		if tc.hi > tc.lo && len(seen) < 10 {
			t.Errorf("backoff(%d): only %d distinct waits in 200: no jitter", tc.n, len(seen))
		}
	}
}

// TestPushSurvivesRestart: a push that failed once on one instance is
// delivered by the next instance, started on the same data after the
// first stopped (the embedded store's file is closed and opened again).
func TestPushSurvivesRestart(t *testing.T) {
	t.Parallel()
	for _, b := range pushBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := b.env(t)
			svc := newFakePushService(t, func(n int) int { return map[bool]int{true: 503, false: 200}[n == 1] })
			clock := newPushClock()
			config := func(c *PushConfig) {
				c.Now = clock.Now
				c.MinBackoff, c.MaxBackoff = time.Hour, time.Hour
			}
			st := env.instance()
			first := newTestPusher(t, st, svc.srv.URL, config)
			stop := runPusher(t, first)
			push := pushFor("c-restart", 3)
			if err := first.Enqueue(context.Background(), push); err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, pushTestPatience, func() error {
				if it, _ := outboxItem(t, st, push); it.Attempts != 1 || it.Lease != "" {
					return fmt.Errorf("item %+v, want one failed attempt", it)
				}
				return nil
			})
			stop()

			st = env.restart()
			if it, ok := outboxItem(t, st, push); !ok || it.Attempts != 1 || it.Push.Text != pushTestText {
				t.Fatalf("after the restart the outbox holds %+v (present %v)", it, ok)
			}
			clock.Advance(time.Hour)
			second := newTestPusher(t, st, svc.srv.URL, config)
			runPusher(t, second)
			waitDelivered(t, st, push)
			if calls, accepted := svc.snapshot(); len(calls) != 2 || accepted[push.key()] != 1 {
				t.Errorf("%d calls, accepted %v; want 2 calls, one accepted", len(calls), accepted)
			}
		})
	}
}

// TestPushTwoInstancesDeliverOnce: two instances run on one outbox at
// once; the lease makes each push go out exactly once.
func TestPushTwoInstancesDeliverOnce(t *testing.T) {
	t.Parallel()
	for _, b := range pushBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := b.env(t)
			svc := newFakePushService(t, alwaysAnswer(http.StatusNoContent))
			svc.delay = 3 * time.Millisecond
			stores := []*countingPushStore{{PushStore: env.instance()}, {PushStore: env.instance()}}
			pushers := []*Pusher{
				newTestPusher(t, stores[0], svc.srv.URL, nil),
				newTestPusher(t, stores[1], svc.srv.URL, nil),
			}
			const n = 20
			var pushes []Push
			for i := range n {
				push := pushFor(fmt.Sprintf("c-two-%d", i%5), int64(i+1))
				pushes = append(pushes, push)
				// Both instances enqueue each one, as both may hear of it.
				for _, p := range pushers {
					if err := p.Enqueue(context.Background(), push); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, p := range pushers {
				runPusher(t, p)
			}
			waitDelivered(t, stores[0], pushes...)
			calls, accepted := svc.snapshot()
			for _, push := range pushes {
				if accepted[push.key()] != 1 {
					t.Errorf("%s accepted %d times", push.key(), accepted[push.key()])
				}
			}
			if len(calls) != n {
				t.Errorf("%d calls for %d pushes", len(calls), n)
			}
		})
	}
}

// TestPushGivesUp: a push refused MaxAttempts times is given up: OnGiveUp
// is called once (though two instances run), it is listed by Failed and
// not by Pending, and it is not tried again.
func TestPushGivesUp(t *testing.T) {
	t.Parallel()
	for _, b := range pushBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := b.env(t)
			svc := newFakePushService(t, alwaysAnswer(http.StatusInternalServerError))
			var logs lockedBuffer
			var mu sync.Mutex
			var gaveUp []Push
			config := func(c *PushConfig) {
				c.MaxAttempts = 3
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				c.OnGiveUp = func(ctx context.Context, p Push) {
					if ctx.Err() != nil {
						t.Errorf("OnGiveUp called with an ended context: %v", ctx.Err())
					}
					mu.Lock()
					defer mu.Unlock()
					gaveUp = append(gaveUp, p)
				}
			}
			st := &countingPushStore{PushStore: env.instance()}
			first := newTestPusher(t, st, svc.srv.URL, config)
			second := newTestPusher(t, env.instance(), svc.srv.URL, config)
			push := pushFor("c-giveup", 9)
			if err := first.Enqueue(context.Background(), push); err != nil {
				t.Fatal(err)
			}
			runPusher(t, first)
			runPusher(t, second)
			testwait.Until(t, pushTestPatience, func() error {
				failed, err := second.Failed(context.Background())
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if len(failed) != 1 || len(gaveUp) != 1 {
					return fmt.Errorf("failed %v, OnGiveUp called %d times", failed, len(gaveUp))
				}
				return nil
			})
			// Give both instances time to (wrongly) try again or call again.
			st.waitReads(t, 5)

			failed, err := first.Failed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) != 1 || failed[0].Conversation != "c-giveup" || failed[0].Seq != 9 || failed[0].Text != pushTestText {
				t.Errorf("Failed = %+v", failed)
			}
			if pending, err := first.Pending(context.Background()); err != nil || len(pending) != 0 {
				t.Errorf("Pending = %v, %v; want none", pending, err)
			}
			mu.Lock()
			if len(gaveUp) != 1 || gaveUp[0].key() != push.key() {
				t.Errorf("OnGiveUp calls: %+v", gaveUp)
			}
			mu.Unlock()
			if calls, _ := svc.snapshot(); len(calls) != 3 {
				t.Errorf("%d calls, want MaxAttempts = 3", len(calls))
			}
			it, _ := outboxItem(t, st, push)
			if !it.Failed || !it.Notified || it.Lease != "" || it.LastError != "push service answered 500" {
				t.Errorf("outbox item %+v", it)
			}
			// Enqueuing a given-up push again leaves it given up.
			if err := second.Enqueue(context.Background(), push); err != nil {
				t.Fatal(err)
			}
			if again, _ := outboxItem(t, st, push); !again.Failed || again.Attempts != 3 {
				t.Errorf("after enqueuing again: %+v", again)
			}
			out := logs.String()
			if strings.Contains(out, pushTestText) || strings.Contains(out, push.User) || !strings.Contains(out, "given up") {
				t.Errorf("logs show the text or the user, or not the give-up:\n%s", out)
			}
		})
	}
}

// TestPushEnqueueTwiceDeliversOnce: the same conversation and seq
// enqueued twice is one outbox item and one delivery.
func TestPushEnqueueTwiceDeliversOnce(t *testing.T) {
	t.Parallel()
	for _, b := range pushBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := &countingPushStore{PushStore: b.env(t).instance()}
			svc := newFakePushService(t, alwaysAnswer(http.StatusOK))
			p := newTestPusher(t, st, svc.srv.URL, nil)
			push := pushFor("c-twice", 1)
			for range 2 {
				if err := p.Enqueue(context.Background(), push); err != nil {
					t.Fatal(err)
				}
			}
			if pending, err := p.Pending(context.Background()); err != nil || len(pending) != 1 {
				t.Fatalf("Pending = %v, %v; want one", pending, err)
			}
			runPusher(t, p)
			waitDelivered(t, st, push)
			st.waitReads(t, 3)
			if calls, accepted := svc.snapshot(); len(calls) != 1 || accepted[push.key()] != 1 {
				t.Errorf("%d calls, accepted %v; want one delivery", len(calls), accepted)
			}
		})
	}
}

// TestPushClaimOfCrashedInstanceExpires: an item claimed by an instance
// that crashed mid-send is left alone until the claim expires, then
// delivered by another.
func TestPushClaimOfCrashedInstanceExpires(t *testing.T) {
	t.Parallel()
	clock := newPushClock()
	dir := t.TempDir()
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	st := &countingPushStore{PushStore: s}
	svc := newFakePushService(t, alwaysAnswer(http.StatusOK))
	p := newTestPusher(t, st, svc.srv.URL, func(c *PushConfig) { c.Now = clock.Now })
	push := pushFor("c-crash", 2)
	if err := p.Enqueue(context.Background(), push); err != nil {
		t.Fatal(err)
	}
	// The crashed instance's claim, as claim leaves it.
	crashed, ok := p.claim(context.Background(), push.key())
	if !ok {
		t.Fatal("not claimed")
	}
	if _, ok := p.claim(context.Background(), push.key()); ok {
		t.Fatal("claimed twice")
	}
	runPusher(t, p)
	st.waitReads(t, 3)
	if calls, _ := svc.snapshot(); len(calls) != 0 {
		t.Fatalf("sent while another instance holds it: %d calls", len(calls))
	}
	clock.Advance(crashed.LeasedUntil.Sub(clock.Now()) + time.Millisecond)
	waitDelivered(t, st, push)
	if calls, accepted := svc.snapshot(); len(calls) != 1 || accepted[push.key()] != 1 {
		t.Errorf("%d calls, accepted %v", len(calls), accepted)
	}
}

// TestPushStopReleasesClaim: stopping Run mid-send releases the item
// without counting an attempt, and leaves no goroutine behind.
func TestPushStopReleasesClaim(t *testing.T) {
	// Not parallel: it counts goroutines.
	before := runtime.NumGoroutine()
	func() {
		s, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		release := make(chan struct{})
		arrived := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		transport := &http.Transport{}
		defer transport.CloseIdleConnections()
		p := newTestPusher(t, s, srv.URL, func(c *PushConfig) {
			c.Client = &http.Client{Timeout: 5 * time.Second, Transport: transport}
		})
		stop := runPusher(t, p)
		push := pushFor("c-stop", 1)
		if err := p.Enqueue(context.Background(), push); err != nil {
			t.Fatal(err)
		}
		select {
		case <-arrived:
		case <-time.After(pushTestPatience):
			t.Fatal("push not sent")
		}
		stop()
		it, ok := outboxItem(t, s, push)
		if !ok || it.Attempts != 0 || it.Lease != "" || it.Failed {
			t.Errorf("after stopping mid-send the item is %+v (present %v), want released, no attempt", it, ok)
		}
	}()
	testwait.Until(t, pushTestPatience, func() error {
		if now := runtime.NumGoroutine(); now > before {
			return fmt.Errorf("%d goroutines, %d before", now, before)
		}
		return nil
	})
}

func TestNewPusherRejects(t *testing.T) {
	t.Parallel()
	st := &countingPushStore{}
	ok := PushConfig{URL: "https://push.example.gov.cn/hotline", Secret: "s", Store: st}
	if _, err := NewPusher(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, edit := range map[string]func(*PushConfig){
		"no URL":                func(c *PushConfig) { c.URL = "" },
		"relative URL":          func(c *PushConfig) { c.URL = "/push" },
		"not http":              func(c *PushConfig) { c.URL = "ftp://push.example/" },
		"no secret":             func(c *PushConfig) { c.Secret = "" },
		"no store":              func(c *PushConfig) { c.Store = nil },
		"negative attempts":     func(c *PushConfig) { c.MaxAttempts = -1 },
		"negative poll":         func(c *PushConfig) { c.Poll = -time.Second },
		"min above max":         func(c *PushConfig) { c.MinBackoff, c.MaxBackoff = time.Minute, time.Second },
		"min above default max": func(c *PushConfig) { c.MinBackoff = time.Hour },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			edit(&cfg)
			if _, err := NewPusher(cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestPushEnqueueRejects(t *testing.T) {
	t.Parallel()
	s, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p := newTestPusher(t, s, "http://push.invalid/", nil)
	for name, push := range map[string]Push{
		"no conversation": {User: "u", Seq: 1},
		"no seq":          {User: "u", Conversation: "c"},
		"no user":         {Conversation: "c", Seq: 1},
	} {
		if err := p.Enqueue(context.Background(), push); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if pending, _ := p.Pending(context.Background()); len(pending) != 0 {
		t.Errorf("pending %v", pending)
	}
}

// TestSignPush pins the signed string: "<timestamp>.<body>".
func TestSignPush(t *testing.T) {
	t.Parallel()
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte(`1700000000.{"a":1}`))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := SignPush("k", "1700000000", []byte(`{"a":1}`)); got != want {
		t.Errorf("SignPush = %s, want %s", got, want)
	}
}
