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
	"errors"
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
	// KindMedia is something the bot cannot read (an image, a voice
	// message without recognition, a location, a link): stored with its
	// reference in Meta for the agents, acknowledged to the citizen.
	KindMedia Kind = "media"
)

// Meta keys of media messages.
const (
	// MetaMedia is the kind of media: image, voice, location, link.
	MetaMedia = "media"
	// MetaMediaID is the platform's id of the media (WeChat's MediaId).
	MetaMediaID = "media_id"
	// MetaMediaURL is where the media can be seen (a picture, a link).
	MetaMediaURL = "media_url"
	// MetaInternal marks a transcript message for the agents only (a note
	// that a message could not be delivered): channels never show it to
	// the citizen.
	MetaInternal = "internal"
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
	// Meta is stored with the citizen's message (media references).
	Meta map[string]string
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

// Event is one announcement on a conversation's topic: exactly one of its
// fields is set.
type Event struct {
	// Message is a new transcript message.
	Message *store.Message `json:"message,omitempty"`
	// Queue is the citizen's new place in the queue for an agent.
	Queue *QueueStatus `json:"queue,omitempty"`
	// Typing names who is typing (citizen or agent). Not stored.
	Typing store.Sender `json:"typing,omitempty"`
}

// QueueStatus is where a citizen waiting for an agent stands.
type QueueStatus struct {
	// Position is 1 for the next to be served; 0 means no longer waiting.
	Position int `json:"position"`
	// Wait is the estimated wait in seconds; 0 when unknown.
	Wait int `json:"wait,omitempty"`
}

// EncodeEvent is the bus payload announcing a new transcript message.
func EncodeEvent(m store.Message) []byte { return encode(Event{Message: &m}) }

// EncodeQueue is the bus payload announcing a new place in the queue.
func EncodeQueue(q QueueStatus) []byte { return encode(Event{Queue: &q}) }

// EncodeTyping is the bus payload saying that from is typing.
func EncodeTyping(from store.Sender) []byte { return encode(Event{Typing: from}) }

func encode(e Event) []byte {
	data, _ := json.Marshal(e) // an Event always marshals
	return data
}

// DecodeEvent reads a payload written by one of the Encode functions. Any
// other payload (store.ResyncPayload among them) is an error: the reader
// then catches up from the transcript.
func DecodeEvent(payload []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, err
	}
	if e.Message == nil && e.Queue == nil && e.Typing == "" {
		return e, errors.New("channels: empty event")
	}
	return e, nil
}
