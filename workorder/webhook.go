package workorder

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/internal/signedpost"
	"github.com/hotline12345/hotline/store"
)

// The webhook's request, as the city's work-order system sees it:
//
//	POST <WebhookConfig.URL>
//	Content-Type: application/json
//	Idempotency-Key: workorder:<seq>
//	X-Hotline-Timestamp: <unix seconds of this attempt>
//	X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, signed string)>
//
//	{"seq":42,"change":{…Change…},"order":{…WorkOrder…}}
//
// The signed string is the X-Hotline-Timestamp value exactly as sent, one
// '.', and the raw body bytes exactly as received: "1764300000.{\"seq\":…}".
// The key is the secret's bytes; the digest is lower-case hex (the app
// push webhook's scheme). A receiver recomputes it, compares in constant
// time, refuses timestamps far from its clock, and treats a repeated
// Idempotency-Key as the same change: every retry of one change carries
// the same key (and body), with a fresh timestamp and signature.
// (internal/signedpost makes the request.)

// Defaults of WebhookConfig.
const (
	DefaultWebhookTimeout    = 10 * time.Second
	DefaultWebhookMinBackoff = time.Second
	DefaultWebhookMaxBackoff = 5 * time.Minute
	DefaultWebhookPoll       = time.Second
	DefaultWebhookLease      = 30 * time.Second
)

// WebhookKind is the store record kind of the webhook's state; its one
// record, WebhookStateID, holds the cursor (the seq of the last change the
// receiver accepted) and the lease of the instance delivering.
const (
	WebhookKind    = "workorder-webhook"
	WebhookStateID = "state"
)

// webhookBatch is how many log entries one read takes.
const webhookBatch = 100

// webhookFinishTimeout bounds the store writes that end a delivery (the
// cursor, the lease's release), which run even while Run is stopping.
const webhookFinishTimeout = 5 * time.Second

// WebhookStore is what the webhook needs from the store: the log it
// delivers, the orders it attaches, one record for its cursor and lease.
type WebhookStore interface {
	store.Records
	store.Logs
}

// WebhookConfig configures a Webhook. Zero fields take the defaults.
type WebhookConfig struct {
	// URL is the work-order system's endpoint: http or https. Required.
	URL string
	// Secret keys the HMAC signature of every request. Required.
	Secret string
	// Store is the one every instance shares. Required.
	Store WebhookStore
	// Client sends the requests. Default: a client with a 10 s timeout.
	// Its Timeout (10 s when it has none) bounds each request; a request
	// that times out is retried like a refused one.
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait before a retry: after the
	// n-th failure of one change the wait is random between MinBackoff
	// and MinBackoff·2^(n-1), capped at MaxBackoff. Defaults 1 s and
	// 5 min: a receiver that is down for an hour is tried every few
	// minutes, not every second.
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often the log is read for new changes, and how often an
	// instance without the lease checks whether it expired. Default 1 s:
	// a change reaches the receiver within about a second.
	Poll time.Duration
	// Lease is how long the instance delivering holds the right to
	// deliver without renewing it; it renews it before every request and
	// while it waits to retry. When it dies, another instance takes over
	// after at most this long. Default 30 s; it must be at least twice
	// the request timeout, so that a request in flight never outlives it.
	Lease time.Duration
	// Logger receives operational logs: seq, number, status codes and
	// network errors, never a body, the contact or the URL. Default:
	// discard.
	Logger *slog.Logger
	// Registerer receives the webhook's metrics; nil: not exported.
	Registerer prometheus.Registerer
	// Now returns the current time, for leases and lag; default time.Now.
	Now func() time.Time
}

// Webhook delivers every change of the store log LogName, in order, to an
// existing work-order system: the log is the outbox. Each instance runs
// one; a lease in the store lets one deliver at a time, and another take
// over within Lease when it dies. A change is sent again until the
// receiver answers 2xx (never skipped: the receiver sees a status feed in
// order), then the cursor in the store moves past it.
//
// Delivery is exactly once per 2xx in normal operation and at least once
// around failures: an instance that dies between the receiver's 2xx and
// the cursor write, or that loses its lease in the middle of a request
// (a store outage, clocks further apart than the lease's slack), makes
// the next holder send that change again, with the same Idempotency-Key.
type Webhook struct {
	cfg      WebhookConfig
	timeout  time.Duration
	log      *slog.Logger
	jitter   func(lo, hi time.Duration) time.Duration
	metrics  webhookMetrics
	holderID string // this Webhook's name in the lease
}

type webhookMetrics struct {
	backlog  prometheus.Gauge
	lag      prometheus.Gauge
	leader   prometheus.Gauge
	attempts *prometheus.CounterVec
}

// NewWebhook checks cfg and fills its defaults. It does not contact the
// receiver or the store.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if !signedpost.CheckURL(cfg.URL) {
		return nil, errors.New("workorder webhook: URL must be an absolute http or https URL")
	}
	switch {
	case cfg.Secret == "":
		return nil, errors.New("workorder webhook: secret is required")
	case cfg.Store == nil:
		return nil, errors.New("workorder webhook: store is required")
	case cfg.MinBackoff < 0, cfg.MaxBackoff < 0, cfg.Poll < 0, cfg.Lease < 0:
		return nil, errors.New("workorder webhook: backoffs, poll and lease must not be negative")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	cfg.MinBackoff = cmp.Or(cfg.MinBackoff, DefaultWebhookMinBackoff)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, DefaultWebhookMaxBackoff)
	cfg.Poll = cmp.Or(cfg.Poll, DefaultWebhookPoll)
	cfg.Lease = cmp.Or(cfg.Lease, DefaultWebhookLease)
	if cfg.MinBackoff > cfg.MaxBackoff {
		return nil, fmt.Errorf("workorder webhook: min backoff %v is above max backoff %v", cfg.MinBackoff, cfg.MaxBackoff)
	}
	timeout := cmp.Or(cfg.Client.Timeout, DefaultWebhookTimeout)
	if cfg.Lease < 2*timeout {
		return nil, fmt.Errorf("workorder webhook: lease %v is shorter than twice the request timeout %v", cfg.Lease, timeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := webhookMetrics{
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_workorder_webhook_backlog",
			Help: "Work order changes not yet accepted by the webhook's receiver (on the instance delivering; 0 on the others)."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_workorder_webhook_lag_seconds",
			Help: "Age of the oldest work order change not yet accepted by the receiver; 0 when none waits (on the instance delivering)."}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_workorder_webhook_leader",
			Help: "1 while this instance holds the webhook's lease and delivers, else 0."}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_workorder_webhook_attempts_total",
			Help: "Webhook requests by result: accepted (2xx) or failed (anything else, a timeout, a network error)."}, []string{"result"}),
	}
	if cfg.Registerer != nil {
		if err := registerAll(cfg.Registerer, m.backlog, m.lag, m.leader, m.attempts); err != nil {
			return nil, fmt.Errorf("workorder webhook: metrics: %w", err)
		}
	}
	return &Webhook{
		cfg:      cfg,
		timeout:  timeout,
		log:      cfg.Logger,
		jitter:   signedpost.Jitter,
		metrics:  m,
		holderID: rand.Text(),
	}, nil
}

func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// SignWebhook returns the X-Hotline-Signature value for a body sent with
// the given X-Hotline-Timestamp value: "sha256=" and the hex HMAC-SHA256,
// keyed with secret, of timestamp + "." + body. A receiver compares it,
// with hmac.Equal, to the header it received.
func SignWebhook(secret, timestamp string, body []byte) string {
	return signedpost.Sign(secret, timestamp, body)
}

// Delivery is the webhook's JSON body: one change and the order it
// belongs to.
type Delivery struct {
	// Seq is the change's position in the log: 1, 2, 3… with no gaps, the
	// order of delivery. The Idempotency-Key is "workorder:<seq>".
	Seq int64 `json:"seq"`
	// Change is the log entry: what happened (created, a status change,
	// an edit), to which status, by whom, when.
	Change Change `json:"change"`
	// Order is the order as stored when the change is sent, in full with
	// the citizen's contact (the city's own work-order system calls the
	// citizen back). It may already be further along than Change when
	// changes wait for delivery: Change.Status is the status this change
	// made, Order.History holds every step. Nil if the order is gone.
	Order *WorkOrder `json:"order"`
}

// delivery is Delivery as sent: the change is the log entry's bytes, so
// that an entry this version cannot decode is still delivered as it is.
type delivery struct {
	Seq    int64           `json:"seq"`
	Change json.RawMessage `json:"change"`
	Order  *WorkOrder      `json:"order"`
}

// webhookState is the record WebhookStateID.
type webhookState struct {
	// Cursor is the seq of the last change the receiver accepted.
	Cursor int64 `json:"cursor"`
	// Holder names the Webhook holding the lease until Until.
	Holder string    `json:"holder,omitempty"`
	Until  time.Time `json:"until,omitzero"`
	// Accepted is when the cursor last moved.
	Accepted time.Time `json:"accepted,omitzero"`
}

// errLeaseLost stops a state update by a Webhook whose lease another one
// has taken.
var errLeaseLost = errors.New("workorder webhook: lease held by another instance")

// WebhookCursor returns the seq of the last change the receiver accepted
// (0 before the first), for operators and tests.
func WebhookCursor(ctx context.Context, st store.Records) (int64, error) {
	v, err := st.Record(ctx, WebhookKind, WebhookStateID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("workorder webhook: read state: %w", err)
	}
	s, err := decodeWebhookState(v)
	return s.Cursor, err
}

func decodeWebhookState(v []byte) (webhookState, error) {
	var s webhookState
	if err := json.Unmarshal(v, &s); err != nil {
		return webhookState{}, fmt.Errorf("workorder webhook: decode state: %w", err)
	}
	return s, nil
}

// Run delivers until ctx ends, then releases the lease so that another
// instance takes over at once. A request in flight when ctx ends is
// abandoned; its change is sent again by the next holder. Call it once
// per Webhook.
func (w *Webhook) Run(ctx context.Context) {
	r := webhookRun{Webhook: w}
	defer r.stop()
	for ctx.Err() == nil {
		if cursor, ok := r.acquire(ctx); ok {
			r.deliver(ctx, cursor)
		}
		if !sleep(ctx, w.cfg.Poll) {
			return
		}
	}
}

// webhookRun is the state of one Run loop, owned by its goroutine.
type webhookRun struct {
	*Webhook
	// until is when the lease this run holds ends; zero when it holds
	// none.
	until time.Time
	// cursor is the state's cursor while this run holds the lease.
	cursor int64
	// head is the highest seq seen in the log, for the backlog.
	head int64
	// storeDown keeps a store outage from filling the log at every poll.
	storeDown bool
}

// acquire takes or renews the lease and returns the cursor; false when
// another instance holds it (or the store cannot be reached).
func (r *webhookRun) acquire(ctx context.Context) (int64, bool) {
	if !r.until.IsZero() {
		// Held: only the holder moves the cursor, so ours is current.
		return r.cursor, r.renew(ctx)
	}
	// A look first, so that waiting instances do not write every poll.
	v, err := r.cfg.Store.Record(ctx, WebhookKind, WebhookStateID)
	if err == nil {
		if s, err := decodeWebhookState(v); err == nil && s.Holder != r.holderID && s.Until.After(r.cfg.Now()) {
			r.follow()
			return 0, false
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		r.storeError(ctx, "state not read", err)
		return 0, false
	}
	s, err := r.update(ctx, true, func(s *webhookState) {})
	if errors.Is(err, errLeaseLost) {
		r.follow()
		return 0, false
	}
	if err != nil {
		r.storeError(ctx, "lease not taken", err)
		r.follow()
		return 0, false
	}
	if r.storeDown {
		r.log.Info("workorder webhook: store reachable again")
		r.storeDown = false
	}
	r.metrics.leader.Set(1)
	r.cursor = s.Cursor
	return s.Cursor, true
}

// follow records that this instance does not deliver.
func (r *webhookRun) follow() {
	if !r.until.IsZero() {
		r.log.Info("workorder webhook: another instance delivers now")
	}
	r.until = time.Time{}
	r.metrics.leader.Set(0)
	r.metrics.backlog.Set(0)
	r.metrics.lag.Set(0)
}

func (r *webhookRun) storeError(ctx context.Context, what string, err error) {
	if ctx.Err() == nil && !r.storeDown {
		r.log.Warn("workorder webhook: "+what, "err", err)
		r.storeDown = true
	}
}

// update applies fn to the state while this run may hold the lease
// (take: also when nobody holds it, or it expired), and renews the lease.
// errLeaseLost when another instance holds it.
func (r *webhookRun) update(ctx context.Context, take bool, fn func(s *webhookState)) (webhookState, error) {
	var out webhookState
	_, err := r.cfg.Store.UpdateRecord(ctx, WebhookKind, WebhookStateID, func(cur []byte) ([]byte, error) {
		var s webhookState
		if cur != nil {
			var err error
			if s, err = decodeWebhookState(cur); err != nil {
				return nil, err
			}
		}
		now := r.cfg.Now()
		mine := s.Holder == r.holderID
		free := s.Holder == "" || !s.Until.After(now)
		if !mine && !(take && free) {
			return nil, errLeaseLost
		}
		fn(&s)
		s.Holder, s.Until = r.holderID, now.Add(r.cfg.Lease)
		out = s
		return json.Marshal(s)
	})
	if err != nil {
		return webhookState{}, err
	}
	if r.until.IsZero() {
		r.log.Info("workorder webhook: this instance delivers", "cursor", out.Cursor)
	}
	r.until = out.Until
	return out, nil
}

// renew extends the lease when less than half of it is left: a request
// started after renew then ends before the lease does.
func (r *webhookRun) renew(ctx context.Context) bool {
	if r.until.Sub(r.cfg.Now()) > r.cfg.Lease/2 {
		return true
	}
	_, err := r.update(ctx, false, func(*webhookState) {})
	if err != nil {
		if errors.Is(err, errLeaseLost) {
			r.follow()
		} else {
			r.storeError(ctx, "lease not renewed", err)
		}
		return false
	}
	return true
}

// stop releases the lease, so that another instance takes over at once.
func (r *webhookRun) stop() {
	r.metrics.leader.Set(0)
	if r.until.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookFinishTimeout)
	defer cancel()
	_, err := r.cfg.Store.UpdateRecord(ctx, WebhookKind, WebhookStateID, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, errLeaseLost
		}
		s, err := decodeWebhookState(cur)
		if err != nil {
			return nil, err
		}
		if s.Holder != r.holderID {
			return nil, errLeaseLost
		}
		s.Holder, s.Until = "", time.Time{}
		return json.Marshal(s)
	})
	if err != nil && !errors.Is(err, errLeaseLost) {
		r.log.Warn("workorder webhook: lease not released; another instance takes over when it expires", "err", err)
	}
	r.until = time.Time{}
}

// deliver sends the changes after cursor, in order, until none is left,
// the lease is lost or ctx ends.
func (r *webhookRun) deliver(ctx context.Context, cursor int64) {
	for ctx.Err() == nil {
		entries, err := r.cfg.Store.ReadLog(ctx, LogName, cursor, webhookBatch)
		if err != nil {
			r.storeError(ctx, "log not read", err)
			return
		}
		if len(entries) == 0 {
			r.head = cursor
			r.metrics.backlog.Set(0)
			r.metrics.lag.Set(0)
			return
		}
		r.measureHead(ctx, entries[len(entries)-1].Seq)
		for _, e := range entries {
			if !r.deliverOne(ctx, e) {
				return
			}
			cursor = e.Seq
		}
	}
}

// measureHead moves head to the newest seq in the log, reading only what
// it has not seen, for the backlog metric.
func (r *webhookRun) measureHead(ctx context.Context, seen int64) {
	r.head = max(r.head, seen)
	for {
		more, err := r.cfg.Store.ReadLog(ctx, LogName, r.head, 1000)
		if err != nil || len(more) == 0 {
			return
		}
		r.head = more[len(more)-1].Seq
	}
}

// deliverOne sends e until the receiver accepts it, then moves the
// cursor past it; false when it stopped first (ctx, lease, store).
func (r *webhookRun) deliverOne(ctx context.Context, e store.LogEntry) bool {
	body, number, err := r.body(ctx, e)
	if err != nil {
		r.storeError(ctx, "order not read", err)
		return false
	}
	for attempt := 1; ; attempt++ {
		r.metrics.backlog.Set(float64(max(r.head-e.Seq+1, 0)))
		r.metrics.lag.Set(max(r.cfg.Now().Sub(e.Time), 0).Seconds())
		if !r.renew(ctx) {
			return false
		}
		err := r.send(ctx, e.Seq, body)
		if err == nil {
			r.metrics.attempts.WithLabelValues("accepted").Inc()
			return r.accepted(ctx, e, number, attempt)
		}
		if ctx.Err() != nil {
			return false // stopping: not the receiver's fault
		}
		r.metrics.attempts.WithLabelValues("failed").Inc()
		wait := r.backoff(attempt)
		r.log.Error("workorder webhook: delivery failed, will retry", "seq", e.Seq, "number", number,
			"attempt", attempt, "retry_in", wait.Round(time.Millisecond), "err", err)
		if !r.wait(ctx, wait, e.Time) {
			return false
		}
	}
}

// accepted moves the cursor past e, fenced by the lease: an instance that
// lost it writes nothing (the new holder sends e again if it had not).
func (r *webhookRun) accepted(ctx context.Context, e store.LogEntry, number string, attempts int) bool {
	fin, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookFinishTimeout)
	defer cancel()
	_, err := r.update(fin, false, func(s *webhookState) {
		s.Cursor = max(s.Cursor, e.Seq)
		s.Accepted = r.cfg.Now()
	})
	if err != nil {
		if errors.Is(err, errLeaseLost) {
			r.follow()
		} else {
			r.log.Warn("workorder webhook: delivered but the cursor was not saved; the change will be sent again", "seq", e.Seq, "number", number, "err", err)
		}
		return false
	}
	r.cursor = max(r.cursor, e.Seq)
	r.log.Debug("workorder webhook: delivered", "seq", e.Seq, "number", number, "attempts", attempts)
	r.metrics.backlog.Set(float64(max(r.head-e.Seq, 0)))
	return true
}

// body builds the request body of e: the change and the order as stored
// now. A change this version cannot decode is sent as it is, without the
// order.
func (r *webhookRun) body(ctx context.Context, e store.LogEntry) ([]byte, string, error) {
	d := delivery{Seq: e.Seq, Change: json.RawMessage(e.Data)}
	var c Change
	if !json.Valid(e.Data) {
		d.Change, _ = json.Marshal(string(e.Data))
	} else if json.Unmarshal(e.Data, &c) == nil && c.Number != "" {
		v, err := r.cfg.Store.Record(ctx, Kind, c.Number)
		switch {
		case err == nil:
			o, err := decode(c.Number, v)
			if err != nil {
				return nil, c.Number, err
			}
			d.Order = &o
		case !errors.Is(err, store.ErrNotFound):
			return nil, c.Number, fmt.Errorf("workorder %s: %w", c.Number, err)
		}
	}
	body, err := json.Marshal(d)
	return body, c.Number, err
}

// wait sleeps for d, renewing the lease and updating the lag of the
// change waiting since oldest meanwhile; false when ctx ended or the
// lease was lost.
func (r *webhookRun) wait(ctx context.Context, d time.Duration, oldest time.Time) bool {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return true
		}
		if !sleep(ctx, min(left, r.cfg.Lease/4)) || !r.renew(ctx) {
			return false
		}
		r.metrics.lag.Set(max(r.cfg.Now().Sub(oldest), 0).Seconds())
	}
}

// backoff is the wait after the n-th failed attempt (n ≥ 1).
func (w *Webhook) backoff(n int) time.Duration {
	return signedpost.Backoff(n, w.cfg.MinBackoff, w.cfg.MaxBackoff, w.jitter)
}

// send makes one POST; any answer but a 2xx is an error. Errors name the
// status or the network failure, never a body or the URL.
func (w *Webhook) send(ctx context.Context, seq int64, body []byte) error {
	key := "workorder:" + strconv.FormatInt(seq, 10)
	if err := signedpost.Post(ctx, w.cfg.Client, w.cfg.URL, w.cfg.Secret, key, body, w.cfg.Now(), w.timeout); err != nil {
		return fmt.Errorf("receiver %w", err)
	}
	return nil
}

// sleep waits for d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
