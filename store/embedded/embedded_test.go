package embedded_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateConversation(ctx, store.Conversation{ID: "c1", State: "bot"})
	s.Append(ctx, "c1", store.Message{ID: "m1", From: store.FromCitizen, Text: "你好"})
	s.SaveSession(ctx, "h", "c1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if conv, err := s.Session(ctx, "h"); err != nil || conv != "c1" {
		t.Errorf("session after reopen = %q, %v", conv, err)
	}
	if _, dup, _ := s.Append(ctx, "c1", store.Message{ID: "m1", Text: "你好"}); !dup {
		t.Error("client id forgotten after reopen")
	}
	m, _, _ := s.Append(ctx, "c1", store.Message{Text: "next"})
	if m.Seq != 2 {
		t.Errorf("seq after reopen = %d, want 2", m.Seq)
	}
}

func TestSecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's flock is per open file description, so a second Open in the
	// same process stands in for a second process.
	_, err = embedded.Open(embedded.Config{Dir: dir, LockTimeout: 50e6})
	if !errors.Is(err, embedded.ErrLocked) {
		t.Errorf("second Open error = %v, want ErrLocked", err)
	}
}
