package accounts_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/store/embedded"
)

// clock is a settable time shared by the service and the store, so that
// lockouts and session TTLs pass without waiting.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// departments is a small catalogue for ValidSkill.
var departments = map[string]bool{"social_security": true, "housing": true, "traffic": true}

// newService returns a service on an embedded store in a temporary
// directory, with the cheapest bcrypt cost.
func newService(t *testing.T, clk *clock) (*accounts.Service, *embedded.Store) {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := accounts.New(accounts.Config{
		Store:      st,
		ValidSkill: func(code string) bool { return departments[code] },
		BcryptCost: bcrypt.MinCost,
		Now:        clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// addAgent adds an agent serving social_security with testPassword.
func addAgent(t *testing.T, svc *accounts.Service, username string) accounts.Agent {
	t.Helper()
	a, err := svc.Add(context.Background(), accounts.Agent{Username: username, Name: "李娜", Skills: []string{"social_security"}}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const testPassword = "correct horse"
