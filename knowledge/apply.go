package knowledge

import (
	"errors"
	"fmt"
	"slices"
)

// Apply adds or replaces the upserts (matched by id) and removes the entries
// whose ids are in retire, in the live index and in what confidence and
// related entries use, as one change: a Search sees all of it or none of
// it. It is safe to call concurrently with Search and with itself (calls
// are serialized).
//
// Every upsert is checked like ValidateEntry (and stored trimmed, as
// LoadDir would have read it); ids must be unique among the upserts, no id
// may be both upserted and retired, and the questions must be unique
// across the resulting base. Those problems come back as *Problem values
// joined into one error matching ErrInvalid, and nothing is changed.
// Retiring an id the base does not have fails with an error matching
// ErrNotFound, also changing nothing.
//
// With Config.IndexDir set the change is written to the index on disk
// together with the fingerprint of the new set of entries, so that Open
// given that same set (seed entries merged with the stored edits) reuses
// the index, and given any other set rebuilds it.
//
// Cost: the upserts are segmented before any lock is taken; searches wait
// only while the index batch is written and the entries are swapped in
// (about a millisecond for a few entries on a base of a few hundred;
// more on a large base, where the vocabulary's weights are recomputed).
func (b *Base) Apply(upserts []Entry, retire []string) error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	if b.closed.Load() {
		return ErrClosed
	}
	if len(upserts) == 0 && len(retire) == 0 {
		return nil
	}

	// Only Apply and Close change the base, and both hold applyMu: reading
	// it here needs no other lock.
	clean, err := b.checkApply(upserts, retire)
	if err != nil {
		return err
	}
	prepared, err := b.prepareAll(clean)
	if err != nil {
		return err
	}

	changed := map[string]bool{}
	for _, id := range retire {
		changed[id] = true
	}
	all := make([]Entry, 0, len(b.byID)+len(clean))
	for _, e := range clean {
		changed[e.ID] = true
		all = append(all, e)
	}
	for _, s := range b.slots {
		if s.live && !changed[s.entry.ID] {
			all = append(all, s.entry)
		}
	}
	fp, err := b.fingerprint(all)
	if err != nil {
		return err
	}
	batch := b.idx.NewBatch()
	for _, id := range retire {
		batch.Delete(id)
	}
	for _, e := range clean {
		if err := batch.Index(e.ID, b.layout.document(e, b.cfg.Synonyms)); err != nil {
			return fmt.Errorf("knowledge: index %s: %w", e.ID, err)
		}
	}
	batch.SetInternal(fingerprintKey, []byte(fp))

	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.idx.Batch(batch); err != nil {
		return fmt.Errorf("knowledge: apply: %w", err)
	}
	for _, id := range retire {
		if i, ok := b.byID[id]; ok {
			b.uninstall(i)
		}
	}
	for _, p := range prepared {
		if i, ok := b.byID[p.entry.ID]; ok {
			b.uninstall(i)
		}
		b.install(p)
	}
	b.vocab.reweigh()
	b.gone.Store(nil)
	return nil
}

// checkApply validates an Apply call against the base and returns the
// upserts trimmed. The caller holds applyMu.
func (b *Base) checkApply(upserts []Entry, retire []string) ([]Entry, error) {
	var problems, missing []error
	clean := make([]Entry, len(upserts))
	ids := map[string]bool{}
	for i, e := range upserts {
		e = cloneEntry(e)
		trimEntry(&e)
		clean[i] = e
		for _, is := range checkEntry(e) {
			problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: is.field, Msg: is.msg})
		}
		if e.ID != "" && ids[e.ID] {
			problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "id", Msg: fmt.Sprintf("%s: upserted twice in one change", e.ID)})
		}
		ids[e.ID] = true
	}
	retired := map[string]bool{}
	for _, id := range retire {
		switch _, ok := b.byID[id]; {
		case ids[id]:
			problems = append(problems, &Problem{ID: id, Field: "id", Msg: fmt.Sprintf("%s: both upserted and retired in one change", id)})
		case !ok:
			missing = append(missing, fmt.Errorf("%w: retire %q", ErrNotFound, id))
		}
		retired[id] = true
	}

	// Questions must stay unique across the base as it will be.
	owner := make(map[string]string, len(b.byID))
	for _, s := range b.slots {
		if s.live && !ids[s.entry.ID] && !retired[s.entry.ID] {
			owner[s.entry.Question] = s.entry.ID
		}
	}
	for _, e := range clean {
		if e.Question == "" {
			continue
		}
		if other, dup := owner[e.Question]; dup {
			problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "question",
				Msg: fmt.Sprintf("%s: duplicate question %q (also %s)", e.ID, e.Question, other)})
			continue
		}
		owner[e.Question] = e.ID
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	return slices.Clip(clean), nil
}
