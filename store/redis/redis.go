// Package redis is the shared store backend: every hotline instance that
// opens the same Redis (single node, Sentinel or Cluster) sees the same
// conversations, transcripts, sessions, locks and knowledge base edits, and
// the bus carries events between instances on Redis pub/sub.
//
// Layout of the keys, each starting with Config.Prefix (default "hotline:").
// The part in braces is the Cluster hash tag: a conversation's keys live in
// one slot, so that the Lua scripts that touch several of them run there.
//
//	{conv:<id>}:meta     hash: json (store.Conversation), seq (LastSeq),
//	                     updated (unix ns), ver (bumped by every update)
//	{conv:<id>}:stream   stream: one entry per message, ID "<seq>-0",
//	                     field m = JSON store.Message
//	{conv:<id>}:ids      hash: client message id → seq (de-duplication)
//	{conv:<id>}:lock     string: the holder's random token, with a TTL
//	session:<hash>       string: conversation id
//	{kb}:version         counter of knowledge base edits
//	{kb}:edits           hash: entry id → JSON store.KnowledgeEdit (newest)
//	{kb}:order           sorted set: entry id by the version of its newest edit
//	{misses}:count       sorted set: masked query by count
//	{misses}:first, {misses}:last, {misses}:decision   hashes by query
//	key:<key>            string: a store.Keys value, with its TTL
//	counter:<name>       string: a counter, with its TTL
//	rec:{<kind>}         hash: record id → value
//	{log:<name>}:seq     counter: the log's last seq
//	{log:<name>}:stream  stream: one entry per log entry, ID "<seq>-0",
//	                     fields d (data) and t (time, unix ns)
//	bus:<topic>          pub/sub channel of a bus topic
//
// A Redis that cannot be reached yields errors that wrap
// store.ErrUnavailable; the client reconnects by itself, so the same
// process carries on when Redis is back. See docs/DEPLOYING.md for the
// Redis settings a deployment needs.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/keylock"
)

// DefaultPrefix starts every key when Config.Prefix is empty.
const DefaultPrefix = "hotline:"

// Config configures the Redis store. Zero fields take the defaults given.
type Config struct {
	// URL says where Redis is, in one of the forms ParseURL reads. Required.
	URL string
	// Prefix starts every key and pub/sub channel name, so that several
	// deployments (or test runs) can share one Redis. Default "hotline:".
	// It must not contain '{' or '}': the keys carry Cluster hash tags.
	Prefix string
	// LockTTL is how long a conversation lock outlives a holder that
	// crashed; a live holder renews it every LockTTL/3. Default 10 s: after
	// an instance dies, its conversations wait at most that long, and a
	// holder stalled (GC, network) for longer than it may lose the lock.
	LockTTL time.Duration
	// OpenTimeout bounds the first contact with Redis in Open. Default 5 s.
	OpenTimeout time.Duration
	// Logger receives operational logs. Default: discard.
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Store keeps hotline's state in Redis.
type Store struct {
	client  goredis.UniversalClient
	keys    keys
	now     func() time.Time
	lockTTL time.Duration
	log     *slog.Logger
	local   *keylock.Map
	*bus

	// Background work (lock renewals, late releases) runs through spawn,
	// so that Close can stop it and wait.
	mu     sync.Mutex
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Open connects to Redis and checks that it answers, so that a wrong
// address fails at start rather than on the first citizen's message. An
// unreachable Redis gives an error wrapping store.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	opts, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if err := checkPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.LockTTL == 0 {
		cfg.LockTTL = 10 * time.Second
	}
	if cfg.LockTTL < 30*time.Millisecond {
		return nil, fmt.Errorf("redis: lock TTL %v is too short", cfg.LockTTL)
	}
	if cfg.OpenTimeout == 0 {
		cfg.OpenTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := goredis.NewUniversalClient(opts)
	pctx, cancel := context.WithTimeout(ctx, cfg.OpenTimeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis %s: %w: %w", Redact(cfg.URL), store.ErrUnavailable, err)
	}
	s := &Store{
		client:  client,
		keys:    keys{prefix: cfg.Prefix},
		now:     cfg.Now,
		lockTTL: cfg.LockTTL,
		log:     cfg.Logger,
		local:   &keylock.Map{},
		done:    make(chan struct{}),
	}
	s.bus = newBus(client, s.keys, cfg.Logger)
	return s, nil
}

// checkPrefix reports whether prefix can start hotline's keys.
func checkPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "{}") {
		return fmt.Errorf("redis: key prefix %q must not contain '{' or '}' (they mark Cluster hash tags)", prefix)
	}
	return nil
}

// Ping reports whether Redis answers now (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close stops the bus and the lock renewals and closes the connections.
// Locks still held are not released: they expire after LockTTL, as a
// crashed holder's would.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.bus.close()
	s.wg.Wait()
	return s.client.Close()
}

// spawn runs fn in a goroutine that Close waits for; fn must return soon
// after s.done is closed. It reports false, without running fn, once the
// store is closed.
func (s *Store) spawn(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// keys names hotline's keys under one prefix.
type keys struct{ prefix string }

// conv is one of a conversation's keys; all share the conversation's slot.
func (k keys) conv(id, part string) string { return k.prefix + "{conv:" + id + "}:" + part }

func (k keys) session(tokenHash string) string { return k.prefix + "session:" + tokenHash }

func (k keys) kb(part string) string { return k.prefix + "{kb}:" + part }

func (k keys) misses(part string) string { return k.prefix + "{misses}:" + part }

// key is the string under which store.Keys keeps key.
func (k keys) key(key string) string { return k.prefix + "key:" + key }

func (k keys) counter(name string) string { return k.prefix + "counter:" + name }

// record is the hash of a kind's records.
func (k keys) record(kind string) string { return k.prefix + "rec:{" + kind + "}" }

// log is one of a log's keys; both share the log's slot.
func (k keys) log(name, part string) string { return k.prefix + "{log:" + name + "}:" + part }

// topic is the pub/sub channel of a bus topic.
func (k keys) topic(topic string) string { return k.prefix + "bus:" + topic }

// transientPrefixes are the Redis error replies that say "not now" rather
// than "never": the server is loading, failing over, out of memory…
var transientPrefixes = []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "NOREPLICAS", "OOM", "MOVED", "ASK"}

// unavailable wraps an error from a Redis command. Network errors,
// timeouts, a closed client and transient replies wrap
// store.ErrUnavailable (retrying later makes sense); other replies are
// bugs and are only given context.
func unavailable(op string, err error) error {
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		transient := false
		for _, p := range transientPrefixes {
			if strings.HasPrefix(msg, p) {
				transient = true
				break
			}
		}
		if !transient {
			return fmt.Errorf("redis %s: %w", op, err)
		}
	}
	return fmt.Errorf("redis %s: %w: %w", op, store.ErrUnavailable, err)
}

// newToken returns 128 random bits, hex: lock owner tokens.
func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
