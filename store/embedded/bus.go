package embedded

import (
	"context"
	"sync"

	"github.com/hotline12345/hotline/store"
)

// subscriptionBuffer is how many events a subscriber may fall behind before
// further events are dropped for it. Dropping is safe: events only announce
// transcript changes, and subscribers catch up from the transcript.
const subscriptionBuffer = 64

// bus is the in-process store.Bus.
type bus struct {
	mu     sync.Mutex
	topics map[string]map[*subscription]struct{}
	closed bool
}

func newBus() *bus { return &bus{topics: make(map[string]map[*subscription]struct{})} }

// Publish implements store.Bus. It never blocks on a slow subscriber.
func (b *bus) Publish(ctx context.Context, topic string, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.topics[topic] {
		select {
		case s.ch <- payload:
		default:
		}
	}
	return nil
}

// Subscribe implements store.Bus.
func (b *bus) Subscribe(ctx context.Context, topic string) (store.Subscription, error) {
	s := &subscription{bus: b, topic: topic, ch: make(chan []byte, subscriptionBuffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s, nil
	}
	if b.topics[topic] == nil {
		b.topics[topic] = make(map[*subscription]struct{})
	}
	b.topics[topic][s] = struct{}{}
	return s, nil
}

func (b *bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for topic, subs := range b.topics {
		for s := range subs {
			close(s.ch)
		}
		delete(b.topics, topic)
	}
}

type subscription struct {
	bus   *bus
	topic string
	ch    chan []byte
}

func (s *subscription) C() <-chan []byte { return s.ch }

func (s *subscription) Close() error {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if subs, ok := b.topics[s.topic]; ok {
		if _, ok := subs[s]; ok {
			delete(subs, s)
			close(s.ch)
			if len(subs) == 0 {
				delete(b.topics, s.topic)
			}
		}
	}
	return nil
}
