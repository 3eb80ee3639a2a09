// Package channels defines what every channel adapter (web widget, WeChat,
// app) hands to the dialog and receives back, and the registry that finds a
// conversation's channel for outgoing messages.
//
// A channel adapter turns what arrives into one Inbound value and
// authenticates the sender the way that channel does. Outgoing messages are
// appended to the transcript and announced on the bus by dialog; a channel
// whose clients hold live connections (the widget) delivers from the bus, a
// channel that must push (WeChat's customer-service API, app push) also
// implements Sender.
package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hotline12345/hotline/store"
)

// Kind says what an inbound message is.
type Kind string

// The kinds of inbound messages.
const (
	// KindText is a message the citizen typed (or an option they tapped).
	KindText Kind = "text"
	// KindRating is a satisfaction score.
	KindRating Kind = "rating"
)

// Inbound is one message from a citizen, normalised by its channel.
type Inbound struct {
	// Channel is the adapter's name ("web", "cli", later "wechat", "app").
	Channel string
	// Conversation is the conversation the adapter resolved the sender to.
	Conversation string
	// ID is the sender's message id; a message with an ID already stored in
	// the conversation is not stored or answered twice.
	ID    string
	Kind  Kind
	Text  string
	Score int
	Time  time.Time
}

// Outbound is one message for a citizen, already in the transcript.
type Outbound struct {
	Conversation store.Conversation
	Message      store.Message
}

// Sender is implemented by channels that must push outgoing messages to a
// platform (WeChat, app push). Channels whose clients read the bus don't.
type Sender interface {
	Send(ctx context.Context, out Outbound) error
}

// Registry maps channel names to the channels that push.
type Registry struct {
	mu      sync.RWMutex
	senders map[string]Sender
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{senders: make(map[string]Sender)} }

// Register adds the sender for a channel name; a name can be registered once.
func (r *Registry) Register(name string, s Sender) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.senders[name]; ok {
		return fmt.Errorf("channels: %q registered twice", name)
	}
	r.senders[name] = s
	return nil
}

// Sender returns the sender registered for a channel name, if any.
func (r *Registry) Sender(name string) (Sender, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.senders[name]
	return s, ok
}

// Topic is the bus topic on which a conversation's new transcript messages
// are announced.
func Topic(conversation string) string { return "conv:" + conversation }

// EncodeEvent is the bus payload announcing a new transcript message.
func EncodeEvent(m store.Message) []byte {
	data, _ := json.Marshal(m) // a Message always marshals
	return data
}

// DecodeEvent reads a payload written by EncodeEvent.
func DecodeEvent(payload []byte) (store.Message, error) {
	var m store.Message
	err := json.Unmarshal(payload, &m)
	return m, err
}
