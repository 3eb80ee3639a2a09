package redis

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var _ store.Bus = (*Store)(nil)

// The bus publishes on Redis pub/sub and receives on one connection per
// Store, whatever the number of subscribers: every widget connection
// subscribes to its conversation's topic, and a connection to Redis each
// would not scale. Topics are reference-counted: the first local
// subscriber of a topic SUBSCRIBEs (and waits for Redis to confirm, so
// that nothing published after Subscribe returns is missed), the last one
// to leave UNSUBSCRIBEs. One goroutine reads the connection and fans each
// payload out to the topic's local subscribers through bounded channels,
// dropping for a subscriber whose channel is full (events only announce;
// the transcript is the source of truth).
//
// When the connection is lost, go-redis reconnects and subscribes again to
// every topic; whatever was published meanwhile is lost. So when Redis
// confirms a subscription this bus did not ask for (a re-subscription),
// every local subscriber of that topic gets store.ResyncPayload and reads
// what it missed from the store.
//
// Lock order: subMu, then mu. subMu serializes the SUBSCRIBE and
// UNSUBSCRIBE decisions with their commands, so that they reach Redis in
// the order the counts changed; mu guards the maps and is never held
// during network I/O.

const (
	// subscriptionBuffer is how many events a subscriber may fall behind
	// before further events are dropped for it.
	subscriptionBuffer = 64
	// confirmWait bounds how long Subscribe waits for Redis to confirm a
	// new topic.
	confirmWait = 5 * time.Second
	// healthEvery: a pub/sub connection silent this long is pinged, and one
	// silent twice as long is replaced (a half-open TCP connection after a
	// network partition never reports an error by itself).
	healthEvery = 5 * time.Second
)

var resync = []byte(store.ResyncPayload)

type bus struct {
	client goredis.UniversalClient
	keys   keys
	log    *slog.Logger

	subMu sync.Mutex
	ps    *goredis.PubSub // replaced only by the reader, under subMu

	mu      sync.Mutex
	topics  map[string]*topic // by Redis channel
	pending map[string]int    // SUBSCRIBEs sent whose confirmation has not come
	closed  bool

	ctx     context.Context
	cancel  context.CancelFunc
	stopped chan struct{} // closed when the reader has returned
}

// topic is the local subscribers of one Redis channel.
type topic struct {
	subs      map[*subscription]struct{}
	confirmed chan struct{} // closed when Redis confirmed the subscription
}

func (t *topic) confirm() {
	select {
	case <-t.confirmed:
	default:
		close(t.confirmed)
	}
}

func newBus(client goredis.UniversalClient, k keys, log *slog.Logger) *bus {
	ctx, cancel := context.WithCancel(context.Background())
	b := &bus{
		client:  client,
		keys:    k,
		log:     log,
		ps:      client.Subscribe(ctx),
		topics:  make(map[string]*topic),
		pending: make(map[string]int),
		ctx:     ctx,
		cancel:  cancel,
		stopped: make(chan struct{}),
	}
	go b.read()
	return b
}

// Publish implements store.Bus.
func (b *bus) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := b.client.Publish(ctx, b.keys.topic(topic), payload).Err(); err != nil {
		return unavailable("publish", err)
	}
	return nil
}

// Subscribe implements store.Bus. The first subscriber of a topic in this
// process costs one round trip; the others none.
func (b *bus) Subscribe(ctx context.Context, name string) (store.Subscription, error) {
	ch := b.keys.topic(name)
	s := &subscription{bus: b, channel: ch, c: make(chan []byte, subscriptionBuffer)}

	b.subMu.Lock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.subMu.Unlock()
		close(s.c)
		return s, nil
	}
	t := b.topics[ch]
	first := t == nil
	if first {
		t = &topic{subs: make(map[*subscription]struct{}), confirmed: make(chan struct{})}
		b.topics[ch] = t
		b.pending[ch]++
	}
	t.subs[s] = struct{}{}
	b.mu.Unlock()
	var err error
	if first {
		if err = b.ps.Subscribe(ctx, ch); err != nil {
			b.mu.Lock()
			b.donePending(ch) // no confirmation will come for this one
			b.mu.Unlock()
		}
	}
	b.subMu.Unlock()

	if err == nil {
		wait := time.NewTimer(confirmWait)
		select {
		case <-t.confirmed:
		case <-ctx.Done():
			err = ctx.Err()
		case <-wait.C:
			err = errors.New("no confirmation from Redis")
		case <-b.ctx.Done():
		}
		wait.Stop()
	}
	if err != nil {
		s.Close()
		return nil, unavailable("subscribe", err)
	}
	return s, nil
}

// donePending counts one SUBSCRIBE as answered. Call with mu held.
func (b *bus) donePending(ch string) {
	if b.pending[ch] <= 1 {
		delete(b.pending, ch)
	} else {
		b.pending[ch]--
	}
}

// read receives from the pub/sub connection until the bus closes.
func (b *bus) read() {
	defer close(b.stopped)
	var (
		pinged   bool // a health ping is unanswered
		failures int
	)
	for {
		b.subMu.Lock()
		ps := b.ps
		b.subMu.Unlock()
		msg, err := ps.ReceiveTimeout(b.ctx, healthEvery)
		if b.ctx.Err() != nil {
			return
		}
		if err != nil {
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() {
				if pinged {
					b.log.Warn("bus: Redis pub/sub connection silent; reconnecting")
					b.replace()
					pinged = false
					continue
				}
				pinged = true
				_ = ps.Ping(b.ctx) // an error shows on the next receive
				continue
			}
			// Redis unreachable: go-redis dials again on the next receive.
			failures++
			if failures == 1 {
				b.log.Warn("bus: Redis pub/sub connection lost; reconnecting", "err", err)
			}
			t := time.NewTimer(min(time.Duration(failures)*100*time.Millisecond, time.Second))
			select {
			case <-t.C:
			case <-b.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		if failures > 0 {
			b.log.Info("bus: Redis pub/sub connection back")
			failures = 0
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Message:
			b.deliver(m.Channel, []byte(m.Payload))
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				b.confirmed(m.Channel)
			}
		}
	}
}

// deliver hands payload to the local subscribers of channel, dropping it
// for those whose buffer is full.
func (b *bus) deliver(channel string, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topics[channel]; t != nil {
		for s := range t.subs {
			select {
			case s.c <- payload:
			default:
			}
		}
	}
}

// confirmed handles Redis's confirmation of a subscription: the answer to
// one of our SUBSCRIBEs, or a re-subscription after a reconnect, which
// means events may have been lost, so every subscriber gets a resync.
func (b *bus) confirmed(channel string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[channel]
	if b.pending[channel] > 0 {
		b.donePending(channel)
		if b.pending[channel] == 0 && t != nil {
			t.confirm()
		}
		return
	}
	if t == nil {
		return
	}
	t.confirm()
	for s := range t.subs {
		select {
		case s.c <- resync:
		default:
		}
	}
}

// replace swaps the pub/sub connection for a new one subscribed to every
// topic; their confirmations bring the resync.
func (b *bus) replace() {
	b.subMu.Lock()
	old := b.ps
	b.ps = b.client.Subscribe(b.ctx)
	b.mu.Lock()
	channels := make([]string, 0, len(b.topics))
	for ch := range b.topics {
		channels = append(channels, ch)
	}
	clear(b.pending) // the old connection's answers will not come
	b.mu.Unlock()
	if len(channels) > 0 {
		// On error go-redis keeps the channels and subscribes on connecting.
		_ = b.ps.Subscribe(b.ctx, channels...)
	}
	b.subMu.Unlock()
	old.Close()
}

// close ends every subscription and the reader.
func (b *bus) close() {
	b.subMu.Lock()
	b.mu.Lock()
	b.closed = true
	for ch, t := range b.topics {
		for s := range t.subs {
			close(s.c)
		}
		delete(b.topics, ch)
	}
	b.mu.Unlock()
	b.cancel()
	b.ps.Close()
	b.subMu.Unlock()
	<-b.stopped
}

// subscription is one local subscriber of a topic.
type subscription struct {
	bus     *bus
	channel string
	c       chan []byte
}

func (s *subscription) C() <-chan []byte { return s.c }

// Close implements store.Subscription. The last local subscriber of a
// topic unsubscribes from Redis.
func (s *subscription) Close() error {
	b := s.bus
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	t := b.topics[s.channel]
	if t == nil {
		b.mu.Unlock()
		return nil
	}
	if _, ok := t.subs[s]; !ok {
		b.mu.Unlock()
		return nil
	}
	delete(t.subs, s)
	close(s.c)
	last := len(t.subs) == 0
	if last {
		delete(b.topics, s.channel)
	}
	b.mu.Unlock()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// On error go-redis forgets the channel all the same, and a stray
		// message for it finds no subscriber.
		_ = b.ps.Unsubscribe(ctx, s.channel)
	}
	return nil
}
