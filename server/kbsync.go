package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/store"
)

// kbResync is how often an instance reads the knowledge base edits it may
// have missed on the bus (which is best effort).
const kbResync = 30 * time.Second

// kbEditor applies knowledge base edits: this instance's own, made through
// the admin API, and other instances', announced on the bus. The store is
// the source of truth: an edit is applied here only after it is saved, and
// every instance applies the saved edits in version order.
type kbEditor struct {
	kb    *knowledge.Base
	store store.Store
	log   *slog.Logger

	mu      sync.Mutex // serializes edits and syncs
	applied int64      // newest edit version applied to kb
}

// mergeEdits applies stored edits to the seed entries, as OpenCore does at
// start, and returns the newest version seen.
func mergeEdits(seed []knowledge.Entry, edits []store.KnowledgeEdit) ([]knowledge.Entry, int64, error) {
	byID := make(map[string]int, len(seed))
	out := append([]knowledge.Entry(nil), seed...)
	for i, e := range out {
		byID[e.ID] = i
	}
	retired := make(map[string]bool)
	var version int64
	for _, ed := range edits {
		version = max(version, ed.Version)
		if ed.Retired {
			retired[ed.ID] = true
			continue
		}
		delete(retired, ed.ID)
		var e knowledge.Entry
		if err := json.Unmarshal(ed.Entry, &e); err != nil {
			return nil, 0, fmt.Errorf("stored knowledge edit %s (version %d): %w", ed.ID, ed.Version, err)
		}
		if i, ok := byID[e.ID]; ok {
			out[i] = e
		} else {
			byID[e.ID] = len(out)
			out = append(out, e)
		}
	}
	kept := out[:0]
	for _, e := range out {
		if !retired[e.ID] {
			kept = append(kept, e)
		}
	}
	return kept, version, nil
}

// edit applies one change made here, saves it, and announces it. Exactly
// one of upsert and retire is set.
func (k *kbEditor) edit(ctx context.Context, by string, upsert *knowledge.Entry, retire string) (store.KnowledgeEdit, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id := retire
	if upsert != nil {
		id = upsert.ID
	}
	old, existed := k.current(id)

	var err error
	if upsert != nil {
		err = k.kb.Apply([]knowledge.Entry{*upsert}, nil)
	} else {
		err = k.kb.Apply(nil, []string{retire})
	}
	if err != nil {
		return store.KnowledgeEdit{}, err
	}
	ed := store.KnowledgeEdit{ID: id, Retired: upsert == nil, By: by}
	if upsert != nil {
		ed.Entry, _ = json.Marshal(upsert) // an Entry always marshals
	}
	saved, err := k.store.SaveKnowledgeEdit(ctx, ed)
	if err != nil {
		// Not saved: take it back, so that this instance does not serve
		// what the others never will.
		var undo error
		if existed {
			undo = k.kb.Apply([]knowledge.Entry{old}, nil)
		} else {
			undo = k.kb.Apply(nil, []string{id})
		}
		return store.KnowledgeEdit{}, errors.Join(fmt.Errorf("%w: %w", store.ErrUnavailable, err), undo)
	}
	if saved.Version == k.applied+1 {
		k.applied = saved.Version
	}
	if err := k.store.Publish(ctx, store.KnowledgeTopic, []byte(strconv.FormatInt(saved.Version, 10))); err != nil {
		k.log.Warn("announce knowledge edit failed; other instances catch up within "+kbResync.String(), "err", err)
	}
	k.log.Info("knowledge base edited", "entry", id, "retired", ed.Retired, "by", by, "version", saved.Version)
	return saved, nil
}

func (k *kbEditor) current(id string) (knowledge.Entry, bool) {
	for _, e := range k.kb.Entries() {
		if e.ID == id {
			return e, true
		}
	}
	return knowledge.Entry{}, false
}

// sync applies the saved edits newer than the last one applied here.
func (k *kbEditor) sync(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	edits, err := k.store.KnowledgeEdits(ctx, k.applied)
	if err != nil {
		return err
	}
	for _, ed := range edits {
		var err error
		if ed.Retired {
			err = k.kb.Apply(nil, []string{ed.ID})
			if errors.Is(err, knowledge.ErrNotFound) {
				err = nil // already gone here
			}
		} else {
			var e knowledge.Entry
			if err = json.Unmarshal(ed.Entry, &e); err == nil {
				err = k.kb.Apply([]knowledge.Entry{e}, nil)
			}
		}
		if err != nil {
			// Skip it rather than retry forever; the operator sees why.
			k.log.Error("cannot apply knowledge edit", "entry", ed.ID, "version", ed.Version, "err", err)
		}
		k.applied = ed.Version
	}
	return nil
}

// run follows the bus and resyncs periodically until ctx ends.
func (k *kbEditor) run(ctx context.Context) {
	sub, err := k.store.Subscribe(ctx, store.KnowledgeTopic)
	if err != nil {
		k.log.Error("subscribe to knowledge edits failed; relying on periodic resync", "err", err)
	}
	var events <-chan []byte
	if sub != nil {
		defer sub.Close()
		events = sub.C()
	}
	tick := time.NewTicker(kbResync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
		case <-tick.C:
		}
		if err := k.sync(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("knowledge resync failed", "err", err)
		}
	}
}
