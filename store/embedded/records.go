package embedded

import (
	"bytes"
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

var _ store.Records = (*Store)(nil)

// bucketRecords holds one bucket per kind: records/<kind>/<id> → value.
var bucketRecords = []byte("records")

// Record implements store.Records.
func (s *Store) Record(ctx context.Context, kind, id string) ([]byte, error) {
	var value []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords).Bucket([]byte(kind))
		if b == nil {
			return store.ErrNotFound
		}
		v := b.Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		value = bytes.Clone(v)
		return nil
	})
	return value, err
}

// UpdateRecord implements store.Records. fn runs inside bbolt's write
// transaction, which admits one writer at a time: no retries are needed,
// but bbolt runs fn again, alone, when a batch it shared fails.
func (s *Store) UpdateRecord(ctx context.Context, kind, id string, fn func(current []byte) ([]byte, error)) ([]byte, error) {
	if kind == "" || id == "" {
		return nil, errors.New("embedded: record kind and id are required")
	}
	var next []byte
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketRecords).CreateBucketIfNotExists([]byte(kind))
		if err != nil {
			return err
		}
		next, err = fn(bytes.Clone(b.Get([]byte(id))))
		if err != nil {
			return err
		}
		if next == nil {
			return b.Delete([]byte(id))
		}
		return b.Put([]byte(id), next)
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// Records implements store.Records. bbolt keeps keys in byte order, which
// is the order of ids.
func (s *Store) Records(ctx context.Context, kind string) ([]store.Record, error) {
	var out []store.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords).Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out = append(out, store.Record{ID: string(k), Value: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}
