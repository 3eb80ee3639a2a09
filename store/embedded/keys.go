package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

var (
	_ store.Keys     = (*Store)(nil)
	_ store.Counters = (*Store)(nil)
)

// Keys and counters may expire. Each entry of their buckets starts with its
// expiry (unix ns, 8 bytes big-endian, 0 for never); an expired entry reads
// as absent. An entry that expires is also listed in the expiry bucket, by
// expiry first, so that the expired ones are found without a scan: SetKey,
// an AddKey that adds and an Increment that creates first delete up to
// purgeLimit expired entries. Writes thus never let expired entries pile
// up, and an idle store needs no background goroutine (its file does not
// grow either).
var (
	bucketKeys     = []byte("keys")     // key → expiry + value
	bucketCounters = []byte("counters") // name → expiry + value (8 bytes big-endian)
	bucketExpiry   = []byte("expiry")   // expiry + kind byte + key → empty
)

// The kind byte of an expiry entry says which bucket its key is in.
const (
	expiringKey     byte = 'k'
	expiringCounter byte = 'c'
)

// purgeLimit is how many expired entries a write deletes at most: more than
// the one it may add, so the backlog shrinks, few enough that the write
// stays quick.
const purgeLimit = 16

// SetKey implements store.Keys.
func (s *Store) SetKey(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkName("key", key, ttl); err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		now := s.now()
		if err := purgeExpired(tx, now); err != nil {
			return err
		}
		return putExpiring(tx, expiringKey, []byte(key), expiry(now, ttl), value)
	})
}

// AddKey implements store.Keys. Concurrent calls run one after the other
// in bbolt's write transaction, so exactly one of them adds the key.
func (s *Store) AddKey(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, []byte, error) {
	if err := checkName("key", key, ttl); err != nil {
		return false, nil, err
	}
	var (
		added   bool
		current []byte
	)
	err := s.db.Batch(func(tx *bolt.Tx) error {
		now := s.now()
		added, current = false, nil
		if v, _, ok := getExpiring(tx, expiringKey, []byte(key), now); ok {
			current = bytes.Clone(v)
			return nil
		}
		if err := purgeExpired(tx, now); err != nil {
			return err
		}
		added = true
		return putExpiring(tx, expiringKey, []byte(key), expiry(now, ttl), value)
	})
	if err != nil {
		return false, nil, err
	}
	return added, current, nil
}

// Key implements store.Keys.
func (s *Store) Key(ctx context.Context, key string) ([]byte, error) {
	var value []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v, _, ok := getExpiring(tx, expiringKey, []byte(key), s.now())
		if !ok {
			return store.ErrNotFound
		}
		value = bytes.Clone(v)
		return nil
	})
	return value, err
}

// DeleteKey implements store.Keys.
func (s *Store) DeleteKey(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		return deleteExpiring(tx, expiringKey, []byte(key))
	})
}

// Increment implements store.Counters.
func (s *Store) Increment(ctx context.Context, name string, delta int64, ttl time.Duration) (int64, error) {
	if err := checkName("counter", name, ttl); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.Batch(func(tx *bolt.Tx) error {
		now := s.now()
		v, exp, ok := getExpiring(tx, expiringCounter, []byte(name), now)
		if ok {
			n = int64(binary.BigEndian.Uint64(v))
		} else {
			n, exp = 0, expiry(now, ttl)
			if err := purgeExpired(tx, now); err != nil {
				return err
			}
		}
		if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
			return errors.New("embedded: counter overflows")
		}
		n += delta
		return putExpiring(tx, expiringCounter, []byte(name), exp, binary.BigEndian.AppendUint64(nil, uint64(n)))
	})
	return n, err
}

// Counter implements store.Counters.
func (s *Store) Counter(ctx context.Context, name string) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v, _, ok := getExpiring(tx, expiringCounter, []byte(name), s.now()); ok {
			n = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}

// checkName rejects what the Redis backend could store but bbolt could
// not (an empty key), and a negative TTL, so both backends agree.
func checkName(what, name string, ttl time.Duration) error {
	if name == "" {
		return fmt.Errorf("embedded: empty %s name", what)
	}
	if ttl < 0 {
		return fmt.Errorf("embedded: %s: negative TTL %v", what, ttl)
	}
	return nil
}

// expiry is when an entry written now with ttl expires, in unix ns; 0
// for never.
func expiry(now time.Time, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now.Add(ttl).UnixNano()
}

// expiringBucket is the bucket of a kind of expiring entry.
func expiringBucket(tx *bolt.Tx, kind byte) *bolt.Bucket {
	if kind == expiringCounter {
		return tx.Bucket(bucketCounters)
	}
	return tx.Bucket(bucketKeys)
}

// expiryKey is the expiry bucket's key for an entry expiring at exp.
func expiryKey(exp int64, kind byte, key []byte) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(key)), uint64(exp))
	return append(append(k, kind), key...)
}

// getExpiring returns the value and the expiry of an entry that has not
// expired. The value is valid only during tx.
func getExpiring(tx *bolt.Tx, kind byte, key []byte, now time.Time) (value []byte, exp int64, ok bool) {
	v := expiringBucket(tx, kind).Get(key)
	if len(v) < 8 {
		return nil, 0, false
	}
	exp = int64(binary.BigEndian.Uint64(v))
	if exp != 0 && now.UnixNano() >= exp {
		return nil, 0, false
	}
	return v[8:], exp, true
}

// putExpiring stores value under key, replacing the entry there and its
// expiry.
func putExpiring(tx *bolt.Tx, kind byte, key []byte, exp int64, value []byte) error {
	if err := deleteExpiring(tx, kind, key); err != nil {
		return err
	}
	entry := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(exp))
	if err := expiringBucket(tx, kind).Put(key, append(entry, value...)); err != nil {
		return err
	}
	if exp == 0 {
		return nil
	}
	return tx.Bucket(bucketExpiry).Put(expiryKey(exp, kind, key), nil)
}

// deleteExpiring deletes the entry under key and its expiry, if any.
func deleteExpiring(tx *bolt.Tx, kind byte, key []byte) error {
	b := expiringBucket(tx, kind)
	v := b.Get(key)
	if v == nil {
		return nil
	}
	if len(v) >= 8 {
		if exp := int64(binary.BigEndian.Uint64(v)); exp != 0 {
			if err := tx.Bucket(bucketExpiry).Delete(expiryKey(exp, kind, key)); err != nil {
				return err
			}
		}
	}
	return b.Delete(key)
}

// purgeExpired deletes up to purgeLimit entries that have expired, the
// longest expired first.
func purgeExpired(tx *bolt.Tx, now time.Time) error {
	index := tx.Bucket(bucketExpiry)
	var expired [][]byte
	c := index.Cursor()
	for k, _ := c.First(); k != nil && len(expired) < purgeLimit; k, _ = c.Next() {
		if len(k) > 9 && int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
			break
		}
		expired = append(expired, bytes.Clone(k))
	}
	for _, k := range expired {
		if err := index.Delete(k); err != nil {
			return err
		}
		if len(k) <= 9 {
			continue // not ours: nothing to delete but the index entry
		}
		// The entry is deleted only if it still expires then; putExpiring
		// keeps this so, the check makes sure a live entry never goes.
		b, key := expiringBucket(tx, k[8]), k[9:]
		if v := b.Get(key); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
			if err := b.Delete(key); err != nil {
				return err
			}
		}
	}
	return nil
}
