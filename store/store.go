// Package store defines the storage interfaces every other package of hotline
// depends on, and the bus that carries live events between instances.
//
// Backends live in sub-packages: store/embedded keeps everything in one bbolt
// file with an in-process bus; store/redis shares everything between
// instances through Redis. Consumers depend only on the small interfaces
// here, never on a backend.
package store

import (
	"context"
	"time"
)

// Sender names who wrote a transcript message.
type Sender string

// The senders of transcript messages.
const (
	FromCitizen Sender = "citizen"
	FromBot     Sender = "bot"
	FromAgent   Sender = "agent"
	FromSystem  Sender = "system"
)

// Conversation is one citizen's exchange with the hotline on one channel.
type Conversation struct {
	// ID is the conversation's stable, unguessable identifier.
	ID string `json:"id"`
	// Channel is the channel the citizen writes on ("web", "wechat", "app").
	Channel string `json:"channel"`
	// User is the channel-scoped user id.
	User string `json:"user"`
	// State is the dialog state ("bot", "closed", …); dialog owns its values.
	State string `json:"state"`
	// Data holds small dialog-owned values (last decision, miss count…).
	Data map[string]string `json:"data,omitempty"`
	// LastSeq is the sequence number of the newest transcript message.
	LastSeq int64 `json:"last_seq"`
	// Created and Updated are set by the store.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Message is one entry of a conversation's transcript.
type Message struct {
	// Seq is assigned by the store: 1, 2, 3… per conversation, no gaps.
	Seq int64 `json:"seq"`
	// ID is the client's message id, used to store a retried message once.
	// Empty for messages the server writes.
	ID      string   `json:"id,omitempty"`
	From    Sender   `json:"from"`
	Text    string   `json:"text"`
	Options []string `json:"options,omitempty"`
	// Meta carries facts about the message for agents and statistics
	// (intent, decision, knowledge entry id…). Never shown to the citizen.
	Meta map[string]string `json:"meta,omitempty"`
	Time time.Time         `json:"time"`
}

// Conversations finds and changes conversations.
type Conversations interface {
	// CreateConversation stores a new conversation; c.ID must be set and unused.
	CreateConversation(ctx context.Context, c Conversation) (Conversation, error)
	// Conversation returns the conversation with id, or ErrNotFound.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// UpdateConversation applies fn to the stored conversation atomically and
	// stores the result. fn must not block.
	UpdateConversation(ctx context.Context, id string, fn func(*Conversation) error) (Conversation, error)
}

// Transcripts stores the messages of conversations in order.
type Transcripts interface {
	// Append stores m at the end of the conversation's transcript and returns
	// it with Seq and Time set. When m.ID is not empty and a message with that
	// ID was already appended to this conversation, nothing is written and
	// the stored message is returned with duplicate true.
	Append(ctx context.Context, conversation string, m Message) (stored Message, duplicate bool, err error)
	// Messages returns up to limit messages with Seq > after, oldest first.
	Messages(ctx context.Context, conversation string, after int64, limit int) ([]Message, error)
}

// Sessions binds client session tokens to conversations.
type Sessions interface {
	// SaveSession binds the token hash to a conversation.
	SaveSession(ctx context.Context, tokenHash, conversation string) error
	// Session returns the conversation bound to the token hash, or ErrNotFound.
	Session(ctx context.Context, tokenHash string) (string, error)
}

// Locker serializes work on one key (a conversation) across goroutines and,
// in shared backends, across instances.
type Locker interface {
	// Lock blocks until the key is held or ctx ends; unlock releases it.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// Bus carries live events between the parts of one instance and, in shared
// backends, between instances. Delivery is best effort: the transcript is the
// source of truth, and a subscriber that missed an event catches up from it.
//
// A shared backend whose connection to the shared server was lost and
// re-established delivers ResyncPayload to the subscribers of the topics it
// subscribed again: events published meanwhile are lost, and subscribers
// read what they missed from the store.
type Bus interface {
	// Publish sends payload to the current subscribers of topic.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe returns a subscription to topic. The caller must Close it.
	Subscribe(ctx context.Context, topic string) (Subscription, error)
}

// ResyncPayload is the payload a Bus delivers when events of a topic may
// have been lost. It is not JSON on purpose: a subscriber treats any
// payload it cannot decode as "catch up from the store" (the web widget's
// writer reads the transcript; the knowledge base follower reads the edits).
const ResyncPayload = "resync"

// Subscription receives the events published on one topic.
type Subscription interface {
	// C delivers payloads. It is closed when the subscription is closed.
	// A slow reader loses events rather than blocking publishers.
	C() <-chan []byte
	Close() error
}

// KnowledgeEdit is one change to the knowledge base made while running
// (through the admin API). The store keeps the entry as opaque JSON: the
// knowledge package owns its shape.
type KnowledgeEdit struct {
	// ID is the knowledge base entry's id.
	ID string `json:"id"`
	// Entry is the entry's JSON; empty when Retired.
	Entry []byte `json:"entry,omitempty"`
	// Retired removes the entry from the knowledge base.
	Retired bool `json:"retired,omitempty"`
	// By names who made the change (for the audit trail).
	By string `json:"by,omitempty"`
	// Version is assigned by the store: it increases with every edit of
	// the whole knowledge base, so an instance can ask for what it missed.
	Version int64     `json:"version"`
	Time    time.Time `json:"time"`
}

// Knowledge keeps the edits made to the knowledge base while running. The
// seed in kb-data plus these edits is the current knowledge base.
type Knowledge interface {
	// SaveKnowledgeEdit stores an edit and returns it with Version and Time set.
	SaveKnowledgeEdit(ctx context.Context, e KnowledgeEdit) (KnowledgeEdit, error)
	// KnowledgeEdits returns the newest edit of every entry whose newest
	// edit has Version > after, oldest first.
	KnowledgeEdits(ctx context.Context, after int64) ([]KnowledgeEdit, error)
}

// Miss is a question the knowledge base could not answer outright,
// counted for the people who maintain it.
type Miss struct {
	// Query is the question with private data (phone and ID numbers) masked.
	Query string `json:"query"`
	// Decision is the last decision for it: "none" or "clarify".
	Decision string    `json:"decision"`
	Count    int64     `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// Misses counts the questions the knowledge base could not answer.
type Misses interface {
	// RecordMiss counts one more ask of query.
	RecordMiss(ctx context.Context, query, decision string) error
	// Misses returns up to limit misses, most asked first.
	Misses(ctx context.Context, limit int) ([]Miss, error)
}

// Keys keeps small values under keys that may expire: de-duplication keys
// (a client's or WeChat's message id), login sessions, cached tokens.
// Packages namespace their keys ("dedupe:wechat:…", "agent-session:…").
type Keys interface {
	// SetKey stores value under key, replacing what was there. ttl > 0
	// makes the key expire after ttl; ttl 0 keeps it until deleted.
	SetKey(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// AddKey stores value under key only if the key does not exist (or has
	// expired). It reports whether it stored it; when not, current is the
	// value already there. This is the de-duplication primitive: the first
	// caller of AddKey for an id wins, every retry sees added false.
	AddKey(ctx context.Context, key string, value []byte, ttl time.Duration) (added bool, current []byte, err error)
	// Key returns the value under key, or ErrNotFound when there is none or
	// it has expired.
	Key(ctx context.Context, key string) ([]byte, error)
	// DeleteKey removes key; removing a missing key is not an error.
	DeleteKey(ctx context.Context, key string) error
}

// Counters count things shared by every instance (messages sent in a
// WeChat window, work order numbers, statistics).
type Counters interface {
	// Increment adds delta to the named counter and returns the new value.
	// A counter that does not exist starts at 0. ttl > 0 makes a counter
	// created by this call expire after ttl (later increments do not
	// extend it); ttl 0 keeps it.
	Increment(ctx context.Context, name string, delta int64, ttl time.Duration) (int64, error)
	// Counter returns the named counter's value; 0 when it does not exist
	// or has expired.
	Counter(ctx context.Context, name string) (int64, error)
}

// Record is one small JSON document owned by a package (an agent account,
// the hand-off board…), kept under a kind and an id.
type Record struct {
	ID    string `json:"id"`
	Value []byte `json:"value"`
}

// Records keeps small JSON documents that packages own and change
// atomically. They are meant for at most thousands of records per kind:
// Records reads a whole kind, and in shared backends an update of one
// record may retry because of an update of another of the same kind.
type Records interface {
	// Record returns the value of the record, or ErrNotFound.
	Record(ctx context.Context, kind, id string) ([]byte, error)
	// UpdateRecord applies fn to the record's current value (nil when it
	// does not exist) atomically, across instances in shared backends, and
	// stores what fn returns: a nil result deletes the record. fn may be
	// called more than once (optimistic retries) and must not block; an
	// error from fn is returned unchanged and nothing is stored.
	UpdateRecord(ctx context.Context, kind, id string, fn func(current []byte) ([]byte, error)) ([]byte, error)
	// Records returns every record of kind, ordered by id.
	Records(ctx context.Context, kind string) ([]Record, error)
}

// LogEntry is one entry of an append-only log.
type LogEntry struct {
	// Seq is assigned by the store: 1, 2, 3… per log, no gaps.
	Seq  int64     `json:"seq"`
	Data []byte    `json:"data"`
	Time time.Time `json:"time"`
}

// Logs keeps append-only logs of events (the hand-off's state changes,
// later the statistics' raw data).
type Logs interface {
	// AppendLog appends data to the named log and returns the entry with
	// Seq and Time set.
	AppendLog(ctx context.Context, name string, data []byte) (LogEntry, error)
	// ReadLog returns up to limit entries with Seq > after, oldest first.
	ReadLog(ctx context.Context, name string, after int64, limit int) ([]LogEntry, error)
}

// KnowledgeTopic is the bus topic announcing knowledge base edits; the
// payload is the edit's version. Instances then read the edits they have
// not applied from the store.
const KnowledgeTopic = "kb"

// Store is everything a backend provides.
type Store interface {
	Conversations
	Transcripts
	Sessions
	Knowledge
	Misses
	Keys
	Counters
	Records
	Logs
	Locker
	Bus
	// Ping reports whether the backend can serve requests now (for /readyz).
	Ping(ctx context.Context) error
	// Close flushes and releases the backend.
	Close() error
}
