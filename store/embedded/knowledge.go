package embedded

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/hotline12345/hotline/store"
)

var (
	bucketKnowledge = []byte("kb_edits")  // entry id → newest store.KnowledgeEdit
	bucketMisses    = []byte("kb_misses") // masked query → store.Miss
)

// SaveKnowledgeEdit implements store.Knowledge.
func (s *Store) SaveKnowledgeEdit(ctx context.Context, e store.KnowledgeEdit) (store.KnowledgeEdit, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKnowledge)
		v, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Version = int64(v)
		e.Time = s.now()
		return putJSON(b, []byte(e.ID), e)
	})
	return e, err
}

// KnowledgeEdits implements store.Knowledge.
func (s *Store) KnowledgeEdits(ctx context.Context, after int64) ([]store.KnowledgeEdit, error) {
	var out []store.KnowledgeEdit
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKnowledge).ForEach(func(k, v []byte) error {
			var e store.KnowledgeEdit
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.Version > after {
				out = append(out, e)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b store.KnowledgeEdit) int { return cmp.Compare(a.Version, b.Version) })
	return out, err
}

// RecordMiss implements store.Misses.
func (s *Store) RecordMiss(ctx context.Context, query, decision string) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMisses)
		var m store.Miss
		if err := getJSON(b, []byte(query), &m); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.now()
		if m.Count == 0 {
			m.Query, m.First = query, now
		}
		m.Count++
		m.Decision, m.Last = decision, now
		return putJSON(b, []byte(query), m)
	})
}

// Misses implements store.Misses.
func (s *Store) Misses(ctx context.Context, limit int) ([]store.Miss, error) {
	var out []store.Miss
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMisses).ForEach(func(k, v []byte) error {
			var m store.Miss
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b store.Miss) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.Last.Compare(a.Last)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
