package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

var _ store.Logs = (*Store)(nil)

// bucketLogs holds one bucket per log: logs/<name>/<seq> → JSON
// store.LogEntry, seq as 8 bytes big-endian. The log bucket's sequence is
// its last seq; it is committed with the entry, so a failed append leaves
// no gap.
var bucketLogs = []byte("logs")

// AppendLog implements store.Logs. Concurrent appends are committed
// together (bbolt Batch).
func (s *Store) AppendLog(ctx context.Context, name string, data []byte) (store.LogEntry, error) {
	if name == "" {
		return store.LogEntry{}, errors.New("embedded: log name is required")
	}
	var e store.LogEntry
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketLogs).CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e = store.LogEntry{Seq: int64(seq), Data: data, Time: s.now()}
		return putJSON(b, seqKey(e.Seq), e)
	})
	if err != nil {
		return store.LogEntry{}, err
	}
	return e, nil
}

// ReadLog implements store.Logs. A limit of 0 or less means 100.
func (s *Store) ReadLog(ctx context.Context, name string, after int64, limit int) ([]store.LogEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	after = max(after, 0)
	var out []store.LogEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogs).Bucket([]byte(name))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var e store.LogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("embedded: decode log %s/%d: %w", name, binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
