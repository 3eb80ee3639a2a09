package workorder

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/internal/testwait"
)

const webhookSecret = "test-webhook-secret-0123456789"

// receiver is the city's work-order system in the tests: a real HTTP
// server that checks every request as a receiver would, refuses (503) the
// first attempt of each change, lets the second time out, and accepts the
// third. It records the seqs it accepted, in the order it accepted them.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	attempts map[int64]int
	accepted []int64
	bodies   map[int64]Delivery
	bad      []string // what was wrong with requests
	failures int      // attempts to refuse before accepting, per change
	hang     chan struct{}
}

func newReceiver(t *testing.T, failures int) *receiver {
	r := &receiver{t: t, attempts: map[int64]int{}, bodies: map[int64]Delivery{}, failures: failures, hang: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.hang)
		r.srv.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts := req.Header.Get("X-Hotline-Timestamp")
	var d Delivery
	problem := ""
	switch {
	case !hmac.Equal([]byte(req.Header.Get("X-Hotline-Signature")), []byte(SignWebhook(webhookSecret, ts, body))):
		problem = "bad signature"
	case json.Unmarshal(body, &d) != nil:
		problem = "body is not a Delivery: " + string(body)
	case req.Header.Get("Idempotency-Key") != "workorder:"+strconv.FormatInt(d.Seq, 10):
		problem = "Idempotency-Key " + req.Header.Get("Idempotency-Key") + " for seq " + strconv.FormatInt(d.Seq, 10)
	}
	r.mu.Lock()
	if problem != "" {
		r.bad = append(r.bad, problem)
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.attempts[d.Seq]++
	n, failures := r.attempts[d.Seq], r.failures
	r.mu.Unlock()
	switch {
	case n <= failures && n%2 == 1:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case n <= failures:
		select { // longer than the client's timeout
		case <-req.Context().Done():
		case <-r.hang:
		}
		return
	}
	r.mu.Lock()
	r.accepted = append(r.accepted, d.Seq)
	r.bodies[d.Seq] = d
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// acceptedSeqs returns what the receiver accepted, in order.
func (r *receiver) acceptedSeqs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.accepted)
}

// check fails the test unless every request was well-formed and the
// receiver accepted exactly 1..last, once each, in order.
func (r *receiver) check(t *testing.T, last int64) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Errorf("bad requests: %v", r.bad)
	}
	want := make([]int64, last)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(r.accepted, want) {
		t.Errorf("accepted %v, want %v once each, in order", r.accepted, want)
	}
}

// waitAccepted waits until the receiver accepted last and the cursor in
// st moved past it (the receiver's 2xx reaches the deliverer a moment
// after the receiver counted it).
func (r *receiver) waitAccepted(t *testing.T, st WebhookStore, last int64) {
	t.Helper()
	testwait.Until(t, 20*time.Second, func() error {
		got := r.acceptedSeqs()
		if len(got) == 0 || got[len(got)-1] < last {
			return fmt.Errorf("accepted %v, waiting for seq %d", got, last)
		}
		if cur, err := WebhookCursor(context.Background(), st); err != nil || cur < last {
			return fmt.Errorf("cursor %d, %v; waiting for %d", cur, err, last)
		}
		return nil
	})
}

// testWebhook is a webhook to r with short timeouts and backoffs.
func testWebhook(t *testing.T, st WebhookStore, r *receiver) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{
		URL:        r.srv.URL + "/hotline",
		Secret:     webhookSecret,
		Store:      st,
		Client:     &http.Client{Timeout: 200 * time.Millisecond},
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond,
		Poll:       20 * time.Millisecond,
		Lease:      time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// running runs w until the returned stop is called (or the test ends).
func running(t *testing.T, w *Webhook) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// someChanges creates n orders on svc and dispatches every other one, and
// returns the seq of the last change in the log.
func someChanges(t *testing.T, svc *Service, st WebhookStore, n int) int64 {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		o, err := svc.Create(ctx, draft(fmt.Sprintf("conv-%d", i), fmt.Sprintf("第%d号楼电梯坏了三天没人修", i)))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := svc.Dispatch(ctx, o.Number, "", "dispatcher", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return lastSeq(t, st)
}

func lastSeq(t *testing.T, st WebhookStore) int64 {
	t.Helper()
	var last int64
	for {
		entries, err := st.ReadLog(context.Background(), LogName, last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			return last
		}
		last = entries[len(entries)-1].Seq
	}
}

// webhookBackends runs fn on the embedded store and, with
// HOTLINE_TEST_REDIS, on Redis; a and b are two instances' stores.
func webhookBackends(t *testing.T, fn func(t *testing.T, a, b WebhookStore, svc *Service)) {
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		s := embeddedStore(t)
		fn(t, s, s, newService(t, s, newClock(testNow)))
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		a, b := testRedis(t)
		fn(t, a, b, newService(t, a, newClock(testNow)))
	})
}

// TestWebhookRetriesInOrder: a receiver that refuses, then times out,
// then accepts gets every change exactly once, in order, signed, with
// the full order attached; the cursor ends at the last change.
func TestWebhookRetriesInOrder(t *testing.T) {
	t.Parallel()
	webhookBackends(t, func(t *testing.T, a, _ WebhookStore, svc *Service) {
		r := newReceiver(t, 2)
		last := someChanges(t, svc, a, 4)
		if last != 6 {
			t.Fatalf("the log has %d changes, want 6", last)
		}
		stop := running(t, testWebhook(t, a, r))
		r.waitAccepted(t, a, last)
		stop()
		r.check(t, last)
		r.mu.Lock()
		for seq, n := range r.attempts {
			if n != 3 {
				t.Errorf("seq %d was tried %d times, want 3 (refused, timed out, accepted)", seq, n)
			}
		}
		d := r.bodies[2] // the first order's dispatch
		r.mu.Unlock()
		if d.Change.Kind != "status" || d.Change.Status != Dispatched || d.Order == nil ||
			d.Order.Contact.Phone != "13812345678" || d.Order.Number != d.Change.Number {
			t.Errorf("delivery 2 = %+v, want the dispatch with the order and its full phone", d)
		}
		if cur, err := WebhookCursor(context.Background(), a); err != nil || cur != last {
			t.Errorf("cursor = %d, %v; want %d", cur, err, last)
		}
	})
}

// TestWebhookTwoInstances: two deliverers on one store at once, while
// changes keep coming: the receiver accepts each change exactly once, in
// order.
func TestWebhookTwoInstances(t *testing.T) {
	t.Parallel()
	webhookBackends(t, func(t *testing.T, a, b WebhookStore, svc *Service) {
		r := newReceiver(t, 1)
		running(t, testWebhook(t, a, r))
		running(t, testWebhook(t, b, r))
		someChanges(t, svc, a, 5)
		last := someChanges(t, svc, a, 5)
		r.waitAccepted(t, a, last)
		r.check(t, last)
	})
}

// TestWebhookRestartAndTakeover: a new deliverer resumes from the cursor
// (nothing is sent twice); one whose holder died without releasing the
// lease waits for it to expire, then takes over.
func TestWebhookRestartAndTakeover(t *testing.T) {
	t.Parallel()
	webhookBackends(t, func(t *testing.T, a, b WebhookStore, svc *Service) {
		ctx := context.Background()
		r := newReceiver(t, 0)
		first := someChanges(t, svc, a, 2)
		stop := running(t, testWebhook(t, a, r))
		r.waitAccepted(t, a, first)
		stop()

		// A dead instance holds the lease (it crashed: no release).
		dead := webhookState{Cursor: first, Holder: "dead-instance", Until: time.Now().Add(time.Second)}
		data, _ := json.Marshal(dead)
		if _, err := a.UpdateRecord(ctx, WebhookKind, WebhookStateID, func([]byte) ([]byte, error) { return data, nil }); err != nil {
			t.Fatal(err)
		}
		last := someChanges(t, svc, a, 2)
		start := time.Now()
		running(t, testWebhook(t, b, r))
		r.waitAccepted(t, a, last)
		if waited := time.Since(start); waited < 900*time.Millisecond {
			t.Errorf("delivered %v after start, while the dead instance's lease still held", waited)
		}
		r.check(t, last)
	})
}

// TestWebhookStopsItsGoroutine: Run returns when its context ends, and
// leaves no goroutine behind.
func TestWebhookStopsItsGoroutine(t *testing.T) {
	s := embeddedStore(t)
	r := newReceiver(t, 0)
	svc := newService(t, s, newClock(testNow))
	before := runtime.NumGoroutine()
	stop := running(t, testWebhook(t, s, r))
	last := someChanges(t, svc, s, 1)
	r.waitAccepted(t, s, last)
	stop()
	r.srv.CloseClientConnections()
	testwait.Until(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before", n, before)
		}
		return nil
	})
	// Stopped with the lease released: another instance delivers at once.
	v, err := s.Record(context.Background(), WebhookKind, WebhookStateID)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := decodeWebhookState(v); st.Holder != "" || st.Cursor != last {
		t.Errorf("state after stop = %+v, want no holder and cursor %d", st, last)
	}
}

func TestNewWebhookRefusesBadConfig(t *testing.T) {
	s := embeddedStore(t)
	for _, tc := range []struct {
		name string
		cfg  WebhookConfig
	}{
		{"no URL", WebhookConfig{Secret: "s", Store: s}},
		{"not http", WebhookConfig{URL: "ftp://x/y", Secret: "s", Store: s}},
		{"no secret", WebhookConfig{URL: "https://x/y", Store: s}},
		{"no store", WebhookConfig{URL: "https://x/y", Secret: "s"}},
		{"short lease", WebhookConfig{URL: "https://x/y", Secret: "s", Store: s, Lease: 5 * time.Second}},
		{"backoffs", WebhookConfig{URL: "https://x/y", Secret: "s", Store: s, MinBackoff: time.Minute, MaxBackoff: time.Second}},
	} {
		if _, err := NewWebhook(tc.cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestWebhookMetrics: while the receiver refuses, the backlog and the lag
// show the changes waiting; once it accepts, both return to 0.
func TestWebhookMetrics(t *testing.T) {
	t.Parallel()
	s := embeddedStore(t)
	r := newReceiver(t, 1<<30)
	svc := newService(t, s, newClock(testNow))
	reg := prometheus.NewRegistry()
	w, err := NewWebhook(WebhookConfig{URL: r.srv.URL, Secret: webhookSecret, Store: s, Registerer: reg,
		Client: &http.Client{Timeout: 200 * time.Millisecond}, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Poll: 20 * time.Millisecond, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	last := someChanges(t, svc, s, 2)
	running(t, w)
	gauge := func(name string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	testwait.Until(t, 10*time.Second, func() error {
		if b, l, lead := gauge("hotline_workorder_webhook_backlog"), gauge("hotline_workorder_webhook_lag_seconds"), gauge("hotline_workorder_webhook_leader"); b != float64(last) || l <= 0 || lead != 1 {
			return fmt.Errorf("backlog %v, lag %v, leader %v; want %d, > 0, 1 while the receiver refuses", b, l, lead, last)
		}
		return nil
	})
	r.mu.Lock()
	r.failures = 0
	r.mu.Unlock()
	r.waitAccepted(t, s, last)
	testwait.Until(t, 10*time.Second, func() error {
		if b, l := gauge("hotline_workorder_webhook_backlog"), gauge("hotline_workorder_webhook_lag_seconds"); b != 0 || l != 0 {
			return fmt.Errorf("backlog %v, lag %v after delivery; want 0, 0", b, l)
		}
		return nil
	})
}
