package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hotline12345/hotline/internal/signedpost"
	"github.com/hotline12345/hotline/store"
)

// The push webhook's request, as the app's push service sees it:
//
//	POST <PushConfig.URL>
//	Content-Type: application/json
//	Idempotency-Key: <conversation>:<seq>
//	X-Hotline-Timestamp: <unix seconds of this attempt>
//	X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, signed string)>
//
//	{"user":"…","conversation":"…","seq":7,"from":"agent","text":"…","time":"2025-01-02T15:04:05Z"}
//
// The signed string is the X-Hotline-Timestamp value exactly as sent (the
// decimal Unix seconds), one '.', and the raw request body bytes exactly
// as received, before any JSON parsing: "1735830245.{\"user\":…}". The
// HMAC key is the configured secret's bytes; the digest is lower-case hex.
// A receiver recomputes it, compares in constant time, rejects timestamps
// far from its clock (a replay), and treats a repeated Idempotency-Key as
// the same notification: every retry of one message carries the same key,
// with a fresh timestamp and signature.
// (internal/signedpost makes the request.)

// SignPush returns the X-Hotline-Signature value for a push body sent with
// the given X-Hotline-Timestamp value: "sha256=" and the hex HMAC-SHA256,
// keyed with secret, of timestamp + "." + body. App push services (and
// tests standing in for them) verify a push by comparing it, with
// hmac.Equal, to the header they received.
func SignPush(secret, timestamp string, body []byte) string {
	return signedpost.Sign(secret, timestamp, body)
}

// Push is one message to announce to an app user none of whose devices is
// connected. It is the push request's JSON body.
type Push struct {
	// User is the app's user id (the token's sub).
	User string `json:"user"`
	// Conversation and Seq name the message in the transcript; together
	// they are the push's idempotency key. The app fetches the message
	// (and any other it missed) with GET /api/app/v1/messages.
	Conversation string `json:"conversation"`
	Seq          int64  `json:"seq"`
	// From is the transcript's sender ("agent", "bot", "system").
	From string `json:"from"`
	// Text is the message for the notification's preview.
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// key is the push's record id and idempotency key.
func (p Push) key() string { return p.Conversation + ":" + strconv.FormatInt(p.Seq, 10) }

// PushStore is what the push outbox needs from the store: one record per
// undelivered push, changed atomically, shared by every instance.
type PushStore interface {
	store.Records
}

// Defaults of PushConfig.
const (
	DefaultPushTimeout     = 10 * time.Second
	DefaultPushMaxAttempts = 8
	DefaultPushMinBackoff  = time.Second
	DefaultPushMaxBackoff  = 5 * time.Minute
	DefaultPushPoll        = time.Second
)

// pushLeaseMargin is how much longer than one request a claim lasts: time
// for the store write that ends the attempt, and for the clocks of the
// instances to disagree. An instance that crashed mid-send holds its items
// for the request timeout plus this long.
const pushLeaseMargin = 30 * time.Second

// pushInFlight bounds the pushes one instance sends at once, so that a
// push service that hangs delays the others by one timeout, not by one
// timeout per waiting push.
const pushInFlight = 8

// pushFinishTimeout bounds the store writes that end an attempt (and the
// OnGiveUp call), which run even while Run is stopping.
const pushFinishTimeout = 10 * time.Second

// pushKind is the store.Records kind of the outbox: id conversation:seq.
const pushKind = "app-push"

// PushConfig configures the push outbox. Zero fields take the defaults.
type PushConfig struct {
	// URL is the app's push webhook (HOTLINE_APP_PUSH_URL): http or https.
	// Required.
	URL string
	// Secret keys the HMAC signature of every push. Required.
	Secret string
	// Store keeps the outbox, shared by every instance. Required.
	Store PushStore
	// Client sends the pushes. Default: a client with a 10 s timeout. Its
	// Timeout (10 s when it has none) bounds each request and, plus a
	// margin of 30 s, how long an item stays claimed by one instance.
	Client *http.Client
	// MaxAttempts is how many times a push is tried before it is given up.
	// Default 8: with the default backoffs, about 2 minutes of retries.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before a retry: after the
	// n-th failure the wait is random between MinBackoff and
	// MinBackoff·2^(n-1), capped at MaxBackoff (exponential backoff with
	// full jitter above a floor, so that instances restarted together do
	// not retry in step). Defaults 1 s and 5 min.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Poll is how often the worker reads the outbox for due pushes.
	// Default 1 s: a push enqueued on this instance goes out at once, one
	// retried or left by another instance waits up to Poll longer. Every
	// poll reads the whole outbox.
	Poll time.Duration
	// Logger receives operational logs: conversation and seq, never the
	// message text or the user. Default: discard.
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// OnGiveUp is called once when a push is given up after MaxAttempts
	// (the channel notes it in the transcript for the agents). It may be
	// nil. It runs in the worker: it should return within seconds.
	OnGiveUp func(ctx context.Context, p Push)
}

// Pusher is the durable push outbox: Enqueue stores a push in the store,
// and the Run loop of every instance delivers what is due, retrying with
// backoff across restarts until the push service accepts it (a 2xx) or
// MaxAttempts is reached. A push given up stays in the outbox, marked
// failed, for operators (Failed) and is not tried again.
//
// Delivery is at least once: an instance claims an item (a lease in the
// store) before sending, so two instances never send it at the same time;
// a crash mid-send, or a lease outlived by clock skew larger than the
// margin, sends it again with the same Idempotency-Key.
type Pusher struct {
	cfg      PushConfig
	timeout  time.Duration // per request
	leaseFor time.Duration
	log      *slog.Logger
	// wake tells the local Run loop that an item was enqueued.
	wake chan struct{}
	// jitter picks a backoff in [lo, hi]; tests replace it.
	jitter func(lo, hi time.Duration) time.Duration
}

// NewPusher checks cfg and fills its defaults. It does not contact the push
// service or the store.
func NewPusher(cfg PushConfig) (*Pusher, error) {
	if !signedpost.CheckURL(cfg.URL) {
		return nil, errors.New("app push: URL must be an absolute http or https URL")
	}
	switch {
	case cfg.Secret == "":
		return nil, errors.New("app push: secret is required")
	case cfg.Store == nil:
		return nil, errors.New("app push: store is required")
	case cfg.MaxAttempts < 0, cfg.MinBackoff < 0, cfg.MaxBackoff < 0, cfg.Poll < 0:
		return nil, errors.New("app push: attempts, backoffs and poll must not be negative")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultPushTimeout}
	}
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, DefaultPushMaxAttempts)
	cfg.MinBackoff = cmp.Or(cfg.MinBackoff, DefaultPushMinBackoff)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, DefaultPushMaxBackoff)
	cfg.Poll = cmp.Or(cfg.Poll, DefaultPushPoll)
	if cfg.MinBackoff > cfg.MaxBackoff {
		return nil, fmt.Errorf("app push: min backoff %v is above max backoff %v", cfg.MinBackoff, cfg.MaxBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	timeout := cmp.Or(cfg.Client.Timeout, DefaultPushTimeout)
	return &Pusher{
		cfg:      cfg,
		timeout:  timeout,
		leaseFor: timeout + pushLeaseMargin,
		log:      cfg.Logger,
		wake:     make(chan struct{}, 1),
		jitter:   signedpost.Jitter,
	}, nil
}

// pushItem is the outbox record of one push.
type pushItem struct {
	Push     Push      `json:"push"`
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	// Due is when the next attempt may start.
	Due time.Time `json:"due"`
	// Lease names the claim of the instance working on the item, which
	// holds it until LeasedUntil; empty when nobody does.
	Lease       string    `json:"lease,omitempty"`
	LeasedUntil time.Time `json:"leased_until,omitzero"`
	// Failed marks an item given up; Notified that OnGiveUp was called.
	Failed   bool `json:"failed,omitempty"`
	Notified bool `json:"notified,omitempty"`
	// LastError says why the last attempt failed (a status or a network
	// error, never a body).
	LastError string `json:"last_error,omitempty"`
}

func decodePushItem(data []byte) (pushItem, error) {
	var it pushItem
	if err := json.Unmarshal(data, &it); err != nil {
		return pushItem{}, fmt.Errorf("app push: decode outbox record: %w", err)
	}
	return it, nil
}

// workable reports whether an instance may claim the item at now: nobody
// holds it, and it is due, or given up but OnGiveUp was not called (the
// instance that gave it up crashed first).
func (it pushItem) workable(now time.Time) bool {
	if it.Lease != "" && it.LeasedUntil.After(now) {
		return false
	}
	if it.Failed {
		return !it.Notified
	}
	return !it.Due.After(now)
}

// Enqueue stores p in the outbox, due now, and wakes this instance's
// worker. Enqueuing a push whose conversation and seq are already in the
// outbox (pending or given up) does nothing; once delivered, its record is
// gone, and enqueuing it again sends it again with the same
// Idempotency-Key.
func (p *Pusher) Enqueue(ctx context.Context, push Push) error {
	if push.Conversation == "" || push.Seq <= 0 || push.User == "" {
		return fmt.Errorf("app push: user, conversation and seq > 0 are required (conversation %q, seq %d)", push.Conversation, push.Seq)
	}
	now := p.cfg.Now()
	if push.Time.IsZero() {
		push.Time = now
	}
	added := false
	_, err := p.cfg.Store.UpdateRecord(ctx, pushKind, push.key(), func(cur []byte) ([]byte, error) {
		if added = cur == nil; !added {
			return cur, nil
		}
		return json.Marshal(pushItem{Push: push, Created: now, Due: now})
	})
	if err != nil {
		return fmt.Errorf("app push: enqueue %s: %w", push.key(), err)
	}
	if added {
		p.log.Debug("app push queued", "conversation", push.Conversation, "seq", push.Seq)
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Run delivers the outbox until ctx ends, then waits for the pushes in
// flight to finish (a push interrupted by ctx is released for the next
// attempt, without counting it). Every instance runs one; call it once
// per Pusher.
func (p *Pusher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, pushInFlight)
	tick := time.NewTicker(p.cfg.Poll)
	defer tick.Stop()
	w := pushWorker{Pusher: p, slots: slots, wg: &wg, corrupt: make(map[string]bool)}
	for {
		w.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-p.wake:
		}
	}
}

// pushWorker is the state of one Run loop, owned by its goroutine.
type pushWorker struct {
	*Pusher
	slots chan struct{}
	wg    *sync.WaitGroup
	// storeDown and corrupt keep a store outage or a bad record from
	// filling the log at every poll.
	storeDown bool
	corrupt   map[string]bool
}

// round claims what is due, oldest first, as long as there are free slots,
// and sends each claimed item in its own goroutine.
func (w *pushWorker) round(ctx context.Context) {
	recs, err := w.cfg.Store.Records(ctx, pushKind)
	if err != nil {
		if ctx.Err() == nil && !w.storeDown {
			w.log.Warn("app push: outbox not read", "err", err)
			w.storeDown = true
		}
		return
	}
	if w.storeDown {
		w.log.Info("app push: outbox readable again")
		w.storeDown = false
	}
	now := w.cfg.Now()
	var due []pushItem
	for _, r := range recs {
		it, err := decodePushItem(r.Value)
		if err != nil {
			if !w.corrupt[r.ID] {
				w.log.Error("app push: outbox record unreadable, skipped", "id", r.ID, "err", err)
				w.corrupt[r.ID] = true
			}
			continue
		}
		if it.workable(now) {
			due = append(due, it)
		}
	}
	slices.SortFunc(due, func(a, b pushItem) int {
		return cmp.Or(a.Due.Compare(b.Due), a.Created.Compare(b.Created), cmp.Compare(a.Push.key(), b.Push.key()))
	})
	for _, it := range due {
		select {
		case w.slots <- struct{}{}:
		default:
			return // all busy: the rest waits for the next poll
		}
		claimed, ok := w.claim(ctx, it.Push.key())
		if !ok {
			<-w.slots
			continue
		}
		w.wg.Go(func() {
			defer func() { <-w.slots }()
			w.work(ctx, claimed)
		})
	}
}

// errPushTaken stops an update of an item this instance may not change
// (another holds it, it is not due, or it is gone).
var errPushTaken = errors.New("app push: item taken")

// claim leases the item with id for one attempt, atomically: of several
// instances that saw it due, one gets it.
func (p *Pusher) claim(ctx context.Context, id string) (pushItem, bool) {
	var claimed pushItem
	_, err := p.cfg.Store.UpdateRecord(ctx, pushKind, id, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, errPushTaken
		}
		it, err := decodePushItem(cur)
		if err != nil {
			return nil, err
		}
		now := p.cfg.Now()
		if !it.workable(now) {
			return nil, errPushTaken
		}
		it.Lease = rand.Text()
		it.LeasedUntil = now.Add(p.leaseFor)
		claimed = it
		return json.Marshal(it)
	})
	if err != nil {
		if !errors.Is(err, errPushTaken) && ctx.Err() == nil {
			p.log.Warn("app push: not claimed", "id", id, "err", err)
		}
		return pushItem{}, false
	}
	return claimed, true
}

// update applies fn to the item while this instance's claim still holds
// it; errPushTaken when it does not any more.
func (p *Pusher) update(ctx context.Context, claimed pushItem, fn func(it *pushItem) (delete bool)) error {
	_, err := p.cfg.Store.UpdateRecord(ctx, pushKind, claimed.Push.key(), func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, errPushTaken
		}
		it, err := decodePushItem(cur)
		if err != nil {
			return nil, err
		}
		if it.Lease != claimed.Lease {
			return nil, errPushTaken
		}
		if fn(&it) {
			return nil, nil
		}
		return json.Marshal(it)
	})
	return err
}

// work makes one attempt at a claimed item and records its outcome.
func (p *Pusher) work(ctx context.Context, it pushItem) {
	push := it.Push
	// The outcome is recorded even when ctx ends meanwhile: otherwise the
	// item stays claimed for the whole lease.
	fin, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushFinishTimeout)
	defer cancel()
	if it.Failed {
		p.notify(fin, it)
		return
	}
	err := p.send(ctx, push)
	switch {
	case err == nil:
		// Delivered: the record goes even if our lease ran out and another
		// instance retries it now (it then finds nothing to update).
		_, err := p.cfg.Store.UpdateRecord(fin, pushKind, push.key(), func([]byte) ([]byte, error) { return nil, nil })
		if err != nil {
			p.log.Warn("app push delivered but not removed; it will be sent again", "conversation", push.Conversation, "seq", push.Seq, "err", err)
			return
		}
		p.log.Info("app push delivered", "conversation", push.Conversation, "seq", push.Seq, "attempt", it.Attempts+1)
	case ctx.Err() != nil:
		// Stopping: not the push service's fault, so not an attempt.
		err := p.update(fin, it, func(it *pushItem) bool {
			it.Lease, it.LeasedUntil = "", time.Time{}
			return false
		})
		if err != nil && !errors.Is(err, errPushTaken) {
			p.log.Warn("app push: claim not released; retried when it expires", "conversation", push.Conversation, "seq", push.Seq, "err", err)
		}
	default:
		p.fail(fin, it, err)
	}
}

// fail counts a failed attempt: the item is due again after a backoff, or
// given up after MaxAttempts.
func (p *Pusher) fail(ctx context.Context, claimed pushItem, cause error) {
	push := claimed.Push
	var after pushItem
	err := p.update(ctx, claimed, func(it *pushItem) bool {
		now := p.cfg.Now()
		it.Attempts++
		it.LastError = cause.Error()
		if it.Attempts >= p.cfg.MaxAttempts {
			// Still claimed by us until OnGiveUp has been called.
			it.Failed = true
			it.LeasedUntil = now.Add(p.leaseFor)
		} else {
			it.Due = now.Add(p.backoff(it.Attempts))
			it.Lease, it.LeasedUntil = "", time.Time{}
		}
		after = *it
		return false
	})
	if err != nil {
		if !errors.Is(err, errPushTaken) {
			p.log.Warn("app push: failure not recorded; retried when the claim expires", "conversation", push.Conversation, "seq", push.Seq, "err", err)
		}
		return
	}
	if after.Failed {
		p.log.Warn("app push given up", "conversation", push.Conversation, "seq", push.Seq, "attempts", after.Attempts, "err", cause)
		p.notify(ctx, after)
		return
	}
	p.log.Info("app push failed, will retry", "conversation", push.Conversation, "seq", push.Seq,
		"attempt", after.Attempts, "retry_in", after.Due.Sub(p.cfg.Now()).Round(time.Millisecond), "err", cause)
}

// notify calls OnGiveUp for a claimed, given-up item and records that it
// did. Should this instance crash in between, the claim expires and
// another instance calls OnGiveUp instead.
func (p *Pusher) notify(ctx context.Context, claimed pushItem) {
	if p.cfg.OnGiveUp != nil {
		p.cfg.OnGiveUp(ctx, claimed.Push)
	}
	err := p.update(ctx, claimed, func(it *pushItem) bool {
		it.Notified = true
		it.Lease, it.LeasedUntil = "", time.Time{}
		return false
	})
	if err != nil && !errors.Is(err, errPushTaken) {
		p.log.Warn("app push: give-up not recorded", "conversation", claimed.Push.Conversation, "seq", claimed.Push.Seq, "err", err)
	}
}

// backoff is the wait after the n-th failed attempt (n ≥ 1).
func (p *Pusher) backoff(n int) time.Duration {
	return signedpost.Backoff(n, p.cfg.MinBackoff, p.cfg.MaxBackoff, p.jitter)
}

// send makes one POST of push; any answer but a 2xx is an error. Errors
// name the status or the network failure, never a body or the URL.
func (p *Pusher) send(ctx context.Context, push Push) error {
	body, err := json.Marshal(push)
	if err != nil {
		return err
	}
	if err := signedpost.Post(ctx, p.cfg.Client, p.cfg.URL, p.cfg.Secret, push.key(), body, p.cfg.Now(), p.timeout); err != nil {
		return fmt.Errorf("push service %w", err)
	}
	return nil
}

// Pending returns the pushes waiting for delivery (or being sent), oldest
// first.
func (p *Pusher) Pending(ctx context.Context) ([]Push, error) {
	return p.list(ctx, false)
}

// Failed returns the pushes given up after MaxAttempts, oldest first: the
// messages stay in the transcript, and the app shows them when it next
// fetches, but the user was not told.
func (p *Pusher) Failed(ctx context.Context) ([]Push, error) {
	return p.list(ctx, true)
}

func (p *Pusher) list(ctx context.Context, failed bool) ([]Push, error) {
	recs, err := p.cfg.Store.Records(ctx, pushKind)
	if err != nil {
		return nil, fmt.Errorf("app push: read outbox: %w", err)
	}
	var items []pushItem
	for _, r := range recs {
		it, err := decodePushItem(r.Value)
		if err != nil {
			return nil, fmt.Errorf("%w (id %s)", err, r.ID)
		}
		if it.Failed == failed {
			items = append(items, it)
		}
	}
	slices.SortFunc(items, func(a, b pushItem) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Push.key(), b.Push.key()))
	})
	out := make([]Push, len(items))
	for i, it := range items {
		out[i] = it.Push
	}
	return out, nil
}
