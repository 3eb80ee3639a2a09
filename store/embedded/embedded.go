// Package embedded is the default store backend: one bbolt file under the
// data directory and an in-process bus. It needs no services and loses
// nothing on restart: every write is committed (fsync) before it returns.
//
// Layout of the file:
//
//	conversations/<id>          JSON store.Conversation
//	sessions/<token hash>       conversation id
//	transcripts/<id>/m/<seq>    JSON store.Message, seq as 8 bytes big-endian
//	transcripts/<id>/ids/<cid>  seq of the message with client id cid
//	keys/<key>                  expiry + value (see keys.go)
//	counters/<name>             expiry + value
//	expiry/<expiry><k|c><key>   index of the keys and counters that expire
//	records/<kind>/<id>         the record's value
//	logs/<name>/<seq>           JSON store.LogEntry, seq as 8 bytes big-endian
//
// Only one process can open the file at a time (bbolt takes a file lock).
package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

var (
	bucketConversations = []byte("conversations")
	bucketSessions      = []byte("sessions")
	bucketTranscripts   = []byte("transcripts")
	bucketMessages      = []byte("m")
	bucketIDs           = []byte("ids")
)

// FileName is the name of the database file inside the data directory.
const FileName = "hotline.db"

// ErrLocked is returned by Open when another process holds the data file.
var ErrLocked = errors.New("embedded: data file is in use by another process")

// Config configures the embedded store.
type Config struct {
	// Dir is the data directory; it is created if missing. Required.
	Dir string
	// LockTimeout is how long Open waits for another process to release the
	// file. Default 1 s: long enough for a restart, short enough to tell the
	// operator quickly that something else holds the data directory.
	LockTimeout time.Duration
	// BatchDelay is how long a write waits for others to commit with it
	// (bbolt Batch): one fsync for many conversations. Default 2 ms: a
	// sequential writer pays it per write, concurrent writers share it.
	BatchDelay time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Store keeps hotline's state in a bbolt file.
type Store struct {
	db  *bolt.DB
	now func() time.Time
	*locker
	*bus
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the data file in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded: data directory is required")
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchDelay == 0 {
		cfg.BatchDelay = 2 * time.Millisecond
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create data directory: %w", err)
	}
	path := filepath.Join(cfg.Dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.LockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	db.MaxBatchDelay = cfg.BatchDelay
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{
			bucketConversations, bucketSessions, bucketTranscripts, bucketKnowledge, bucketMisses,
			bucketKeys, bucketCounters, bucketExpiry, bucketRecords, bucketLogs,
		} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: prepare %s: %w", path, err)
	}
	return &Store{db: db, now: cfg.Now, locker: newLocker(), bus: newBus()}, nil
}

// Ping reports whether the file is open.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}

// Close closes the bus and the file.
func (s *Store) Close() error {
	s.bus.close()
	return s.db.Close()
}

// CreateConversation implements store.Conversations.
func (s *Store) CreateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if c.ID == "" {
		return c, errors.New("embedded: conversation id is required")
	}
	now := s.now()
	c.Created, c.Updated, c.LastSeq = now, now, 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConversations)
		if b.Get([]byte(c.ID)) != nil {
			return store.ErrExists
		}
		return putJSON(b, []byte(c.ID), c)
	})
	return c, err
}

// Conversation implements store.Conversations.
func (s *Store) Conversation(ctx context.Context, id string) (store.Conversation, error) {
	var c store.Conversation
	err := s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketConversations), []byte(id), &c)
	})
	return c, err
}

// UpdateConversation implements store.Conversations.
func (s *Store) UpdateConversation(ctx context.Context, id string, fn func(*store.Conversation) error) (store.Conversation, error) {
	var c store.Conversation
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConversations)
		c = store.Conversation{}
		if err := getJSON(b, []byte(id), &c); err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.ID = id
		c.Updated = s.now()
		return putJSON(b, []byte(id), c)
	})
	return c, err
}

// Append implements store.Transcripts. Concurrent appends are committed
// together (bbolt Batch): one fsync for many conversations.
func (s *Store) Append(ctx context.Context, conversation string, m store.Message) (store.Message, bool, error) {
	var (
		stored    store.Message
		duplicate bool
	)
	err := s.db.Batch(func(tx *bolt.Tx) error {
		duplicate = false
		convs := tx.Bucket(bucketConversations)
		var c store.Conversation
		if err := getJSON(convs, []byte(conversation), &c); err != nil {
			return err
		}
		t, err := tx.Bucket(bucketTranscripts).CreateBucketIfNotExists([]byte(conversation))
		if err != nil {
			return err
		}
		msgs, err := t.CreateBucketIfNotExists(bucketMessages)
		if err != nil {
			return err
		}
		ids, err := t.CreateBucketIfNotExists(bucketIDs)
		if err != nil {
			return err
		}
		if m.ID != "" {
			if seq := ids.Get([]byte(m.ID)); seq != nil {
				duplicate = true
				return getJSON(msgs, seq, &stored)
			}
		}
		stored = m
		stored.Seq = c.LastSeq + 1
		stored.Time = s.now()
		key := seqKey(stored.Seq)
		if err := putJSON(msgs, key, stored); err != nil {
			return err
		}
		if m.ID != "" {
			if err := ids.Put([]byte(m.ID), key); err != nil {
				return err
			}
		}
		c.LastSeq = stored.Seq
		c.Updated = stored.Time
		return putJSON(convs, []byte(conversation), c)
	})
	if err != nil {
		return store.Message{}, false, err
	}
	return stored, duplicate, nil
}

// Messages implements store.Transcripts.
func (s *Store) Messages(ctx context.Context, conversation string, after int64, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		t := tx.Bucket(bucketTranscripts).Bucket([]byte(conversation))
		if t == nil {
			return nil
		}
		c := t.Bucket(bucketMessages).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var m store.Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("embedded: decode message %s/%d: %w", conversation, binary.BigEndian.Uint64(k), err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// SaveSession implements store.Sessions.
func (s *Store) SaveSession(ctx context.Context, tokenHash, conversation string) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Put([]byte(tokenHash), []byte(conversation))
	})
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, tokenHash string) (string, error) {
	var conv string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get([]byte(tokenHash))
		if v == nil {
			return store.ErrNotFound
		}
		conv = string(v)
		return nil
	})
	return conv, err
}

func seqKey(seq int64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(seq))
	return k[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return store.ErrNotFound
	}
	return json.Unmarshal(data, v)
}
