package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hotline12345/hotline/store"
)

func testRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Record(ctx, "agent", "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Record(missing) error = %v, want ErrNotFound", err)
	}
	if recs, err := s.Records(ctx, "agent"); err != nil || len(recs) != 0 {
		t.Errorf("Records of an empty kind = %v, %v; want none", recs, err)
	}

	v1 := []byte(`{"name":"王芳","skills":["社保"]}`)
	got, err := s.UpdateRecord(ctx, "agent", "a1", func(current []byte) ([]byte, error) {
		if current != nil {
			return nil, fmt.Errorf("current of a new record = %q, want nil", current)
		}
		return v1, nil
	})
	if err != nil || string(got) != string(v1) {
		t.Fatalf("creating UpdateRecord = %q, %v", got, err)
	}
	if got, err := s.Record(ctx, "agent", "a1"); err != nil || string(got) != string(v1) {
		t.Errorf("Record(a1) = %q, %v; want %s", got, err, v1)
	}

	v2 := []byte(`{"name":"王芳","skills":["社保","医保"]}`)
	got, err = s.UpdateRecord(ctx, "agent", "a1", func(current []byte) ([]byte, error) {
		if string(current) != string(v1) {
			return nil, fmt.Errorf("current = %q, want %s", current, v1)
		}
		return v2, nil
	})
	if err != nil || string(got) != string(v2) {
		t.Fatalf("UpdateRecord = %q, %v", got, err)
	}

	boom := errors.New("boom")
	_, err = s.UpdateRecord(ctx, "agent", "a1", func([]byte) ([]byte, error) { return []byte(`{"broken":true}`), boom })
	if err != boom {
		t.Errorf("UpdateRecord with a failing fn error = %v, want boom unchanged", err)
	}
	if got, _ := s.Record(ctx, "agent", "a1"); string(got) != string(v2) {
		t.Errorf("a failing fn changed the record to %q", got)
	}
	if _, err := s.UpdateRecord(ctx, "agent", "new", func([]byte) ([]byte, error) { return []byte(`{}`), boom }); err != boom {
		t.Errorf("failing create error = %v, want boom", err)
	}
	if _, err := s.Record(ctx, "agent", "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failing fn created a record: %v", err)
	}

	for _, id := range []string{"c", "a2", "b"} {
		if _, err := s.UpdateRecord(ctx, "agent", id, func([]byte) ([]byte, error) { return []byte(`"` + id + `"`), nil }); err != nil {
			t.Fatal(err)
		}
	}
	s.UpdateRecord(ctx, "board", "a0", func([]byte) ([]byte, error) { return []byte(`"board"`), nil })
	recs, err := s.Records(ctx, "agent")
	if err != nil {
		t.Fatal(err)
	}
	if ids := recordIDs(recs); fmt.Sprint(ids) != "[a1 a2 b c]" {
		t.Errorf("Records(agent) ids = %v, want [a1 a2 b c]", ids)
	}
	if len(recs) == 4 && (string(recs[0].Value) != string(v2) || string(recs[3].Value) != `"c"`) {
		t.Errorf("Records(agent) values = %q, %q; want %s, \"c\"", recs[0].Value, recs[3].Value, v2)
	}
	if recs, _ := s.Records(ctx, "board"); fmt.Sprint(recordIDs(recs)) != "[a0]" {
		t.Errorf("Records(board) ids = %v, want [a0] (kinds are separate)", recordIDs(recs))
	}
	if _, err := s.Record(ctx, "board", "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Record(board, a1) error = %v, want ErrNotFound (kinds are separate)", err)
	}

	// A nil result deletes, and deleting a missing record is no error.
	got, err = s.UpdateRecord(ctx, "agent", "a1", func([]byte) ([]byte, error) { return nil, nil })
	if err != nil || got != nil {
		t.Errorf("deleting UpdateRecord = %q, %v; want nil, nil", got, err)
	}
	if _, err := s.Record(ctx, "agent", "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Record after delete error = %v, want ErrNotFound", err)
	}
	if recs, _ := s.Records(ctx, "agent"); fmt.Sprint(recordIDs(recs)) != "[a2 b c]" {
		t.Errorf("Records(agent) after delete = %v, want [a2 b c]", recordIDs(recs))
	}
	if _, err := s.UpdateRecord(ctx, "agent", "never", func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Errorf("deleting a missing record: %v", err)
	}

	if _, err := s.UpdateRecord(ctx, "", "x", func([]byte) ([]byte, error) { return []byte("1"), nil }); err == nil {
		t.Error("UpdateRecord with an empty kind succeeded")
	}
	if _, err := s.UpdateRecord(ctx, "agent", "", func([]byte) ([]byte, error) { return []byte("1"), nil }); err == nil {
		t.Error("UpdateRecord with an empty id succeeded")
	}
}

func testConcurrentUpdateRecord(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers = 20
	type counter struct{ N int }
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		seen  = map[int]bool{}
	)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, err := s.UpdateRecord(ctx, "board", "queue", func(current []byte) ([]byte, error) {
				var c counter
				if current != nil {
					if err := json.Unmarshal(current, &c); err != nil {
						return nil, err
					}
				}
				c.N++
				return json.Marshal(c)
			})
			if err != nil {
				t.Error(err)
				return
			}
			var c counter
			if err := json.Unmarshal(got, &c); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[c.N] {
				t.Errorf("two updates returned N=%d", c.N)
			}
			seen[c.N] = true
		}()
	}
	close(start)
	wg.Wait()
	raw, err := s.Record(ctx, "board", "queue")
	if err != nil {
		t.Fatal(err)
	}
	var c counter
	if err := json.Unmarshal(raw, &c); err != nil || c.N != writers {
		t.Errorf("after %d concurrent updates the record is %s (%v), want N=%d", writers, raw, err, writers)
	}
}

func recordIDs(recs []store.Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}
