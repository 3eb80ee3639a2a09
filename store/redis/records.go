package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var _ store.Records = (*Store)(nil)

// The records of a kind are one hash, id → value: Records reads a kind in
// one command. UpdateRecord is optimistic: it WATCHes the hash, calls fn,
// and writes in MULTI/EXEC, which Redis refuses if the hash changed since
// the WATCH; then it starts again. A change to any record of the kind
// makes the others retry too, which the few thousand records of a kind,
// changed now and then, can afford.

// maxRecordTries bounds the optimistic retries of UpdateRecord. Each
// conflict means another writer succeeded, so n concurrent writers of one
// kind need at most n tries each.
const maxRecordTries = 100

// Record implements store.Records.
func (s *Store) Record(ctx context.Context, kind, id string) ([]byte, error) {
	v, err := s.client.HGet(ctx, s.keys.record(kind), id).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, store.ErrNotFound
	case err != nil:
		return nil, unavailable("read record", err)
	}
	return v, nil
}

// UpdateRecord implements store.Records.
func (s *Store) UpdateRecord(ctx context.Context, kind, id string, fn func(current []byte) ([]byte, error)) ([]byte, error) {
	if kind == "" || id == "" {
		return nil, errors.New("redis: record kind and id are required")
	}
	key := s.keys.record(kind)
	for range maxRecordTries {
		var next []byte
		var fnErr error
		err := s.client.Watch(ctx, func(tx *goredis.Tx) error {
			current, err := tx.HGet(ctx, key, id).Bytes()
			if errors.Is(err, goredis.Nil) {
				current, err = nil, nil
			}
			if err != nil {
				return err
			}
			if next, fnErr = fn(current); fnErr != nil {
				return fnErr
			}
			_, err = tx.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
				if next == nil {
					pipe.HDel(ctx, key, id)
				} else {
					pipe.HSet(ctx, key, id, next)
				}
				return nil
			})
			return err
		}, key)
		switch {
		case fnErr != nil:
			return nil, fnErr
		case err == nil:
			return next, nil
		case !errors.Is(err, goredis.TxFailedErr):
			return nil, unavailable("update record", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("redis: update record of kind %s: %d conflicting updates in a row", kind, maxRecordTries)
}

// Records implements store.Records.
func (s *Store) Records(ctx context.Context, kind string) ([]store.Record, error) {
	all, err := s.client.HGetAll(ctx, s.keys.record(kind)).Result()
	if err != nil {
		return nil, unavailable("read records", err)
	}
	if len(all) == 0 {
		return nil, nil
	}
	out := make([]store.Record, 0, len(all))
	for id, v := range all {
		out = append(out, store.Record{ID: id, Value: []byte(v)})
	}
	slices.SortFunc(out, func(a, b store.Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
