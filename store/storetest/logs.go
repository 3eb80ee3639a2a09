package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hotline12345/hotline/store"
)

func testLogs(t *testing.T, s store.Store) {
	ctx := context.Background()
	if entries, err := s.ReadLog(ctx, "handoff", 0, 10); err != nil || len(entries) != 0 {
		t.Errorf("ReadLog of an empty log = %v, %v; want none", entries, err)
	}
	var appended []store.LogEntry
	for i := 1; i <= 5; i++ {
		data := fmt.Sprintf(`{"event":"offer","n":%d}`, i)
		e, err := s.AppendLog(ctx, "handoff", []byte(data))
		if err != nil || e.Seq != int64(i) || e.Time.IsZero() || string(e.Data) != data {
			t.Fatalf("AppendLog #%d = %+v, %v; want seq %d, a time and the data", i, e, err, i)
		}
		appended = append(appended, e)
	}
	if e, err := s.AppendLog(ctx, "stats", []byte("x")); err != nil || e.Seq != 1 {
		t.Errorf("first AppendLog to another log = seq %d, %v; want 1 (logs are separate)", e.Seq, err)
	}

	all, err := s.ReadLog(ctx, "handoff", 0, 10)
	if err != nil || len(all) != 5 {
		t.Fatalf("ReadLog(after 0) = %d entries, %v; want 5", len(all), err)
	}
	for i, e := range all {
		want := appended[i]
		if e.Seq != want.Seq || string(e.Data) != string(want.Data) || !e.Time.Equal(want.Time) {
			t.Errorf("entry %d read back as %+v, want %+v", i, e, want)
		}
	}
	if got, err := s.ReadLog(ctx, "handoff", 2, 2); err != nil || fmt.Sprint(seqs(got)) != "[3 4]" {
		t.Errorf("ReadLog(after 2, limit 2) = seqs %v, %v; want [3 4]", seqs(got), err)
	}
	if got, _ := s.ReadLog(ctx, "handoff", 5, 10); len(got) != 0 {
		t.Errorf("ReadLog after the last = %v, want none", seqs(got))
	}
	if got, _ := s.ReadLog(ctx, "stats", 0, 10); fmt.Sprint(seqs(got)) != "[1]" {
		t.Errorf("ReadLog(stats) = %v, want [1] (logs are separate)", seqs(got))
	}
	if _, err := s.AppendLog(ctx, "", []byte("x")); err == nil {
		t.Error("AppendLog to an empty name succeeded")
	}
}

func testConcurrentAppendLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.AppendLog(ctx, "events", []byte(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	entries, err := s.ReadLog(ctx, "events", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != writers*each {
		t.Fatalf("log has %d entries, want %d", len(entries), writers*each)
	}
	data := map[string]bool{}
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d: gaps or duplicates", i, e.Seq)
		}
		if data[string(e.Data)] {
			t.Fatalf("%s stored twice", e.Data)
		}
		data[string(e.Data)] = true
	}
	// Every writer's entries are in the order it appended them.
	next := make([]int, writers)
	for _, e := range entries {
		var w, i int
		if _, err := fmt.Sscanf(string(e.Data), "w%d-%d", &w, &i); err != nil || i != next[w] {
			t.Fatalf("entry %q out of its writer's order (want w%d-%d)", e.Data, w, next[w])
		}
		next[w]++
	}
}

func seqs(entries []store.LogEntry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}
