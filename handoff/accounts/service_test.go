package accounts_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline12345/hotline/handoff/accounts"
)

func TestAddDefaults(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc, _ := newService(t, clk)
	ctx := context.Background()
	a, err := svc.Add(ctx, accounts.Agent{Username: "li.na", Name: " 李娜 ", Skills: []string{"housing", " social_security", "housing"}}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxChats != accounts.DefaultMaxChats || a.Role != accounts.RoleAgent || a.Name != "李娜" || a.Generation != 1 {
		t.Errorf("added %+v; want max chats 3, role agent, trimmed name, generation 1", a)
	}
	if !slices.Equal(a.Skills, []string{"housing", "social_security"}) {
		t.Errorf("skills %q; want trimmed and deduplicated, in order", a.Skills)
	}
	if !a.Created.Equal(clk.Now()) || !a.Updated.Equal(clk.Now()) {
		t.Errorf("created %v updated %v; want %v", a.Created, a.Updated, clk.Now())
	}
	if err := bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(testPassword)); err != nil {
		t.Errorf("password hash does not match: %v", err)
	}
	got, err := svc.Get(ctx, "li.na")
	if err != nil || got.PasswordHash != a.PasswordHash || got.Name != "李娜" {
		t.Errorf("Get = %+v, %v; want the stored account", got, err)
	}
	if _, err := svc.Add(ctx, accounts.Agent{Username: "li.na", Name: "另一个李娜"}, testPassword); !errors.Is(err, accounts.ErrExists) {
		t.Errorf("duplicate Add error %v; want ErrExists", err)
	}
	if _, err := svc.Get(ctx, "nobody"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("Get(nobody) error %v; want ErrNotFound", err)
	}
}

func TestAddValidation(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ok := accounts.Agent{Username: "wang.wei", Name: "王伟", Skills: []string{"traffic"}, MaxChats: 5, Role: accounts.RoleSupervisor}
	tests := []struct {
		name     string
		change   func(*accounts.Agent)
		password string
		want     string // in the error
	}{
		{"upper-case username", func(a *accounts.Agent) { a.Username = "Wang" }, testPassword, `username "Wang"`},
		{"one-letter username", func(a *accounts.Agent) { a.Username = "w" }, testPassword, `username "w"`},
		{"username starting with a dot", func(a *accounts.Agent) { a.Username = ".wang" }, testPassword, `username ".wang"`},
		{"33-character username", func(a *accounts.Agent) { a.Username = strings.Repeat("w", 33) }, testPassword, "username"},
		{"no name", func(a *accounts.Agent) { a.Name = "  " }, testPassword, "name: required"},
		{"name too long", func(a *accounts.Agent) { a.Name = strings.Repeat("王", 65) }, testPassword, "name: at most 64"},
		{"unknown skill", func(a *accounts.Agent) { a.Skills = []string{"traffic", "cooking"} }, testPassword, `skill "cooking"`},
		{"malformed skill", func(a *accounts.Agent) { a.Skills = []string{"Traffic"} }, testPassword, `skill "Traffic"`},
		{"max chats 21", func(a *accounts.Agent) { a.MaxChats = 21 }, testPassword, "max chats 21"},
		{"max chats negative", func(a *accounts.Agent) { a.MaxChats = -1 }, testPassword, "max chats -1"},
		{"unknown role", func(a *accounts.Agent) { a.Role = "boss" }, testPassword, `role "boss"`},
		{"short password", func(a *accounts.Agent) {}, "1234567", "at least 8"},
		{"password over bcrypt's 72 bytes", func(a *accounts.Agent) {}, strings.Repeat("密", 25), "at most 72 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.change(&a)
			_, err := svc.Add(context.Background(), a, tt.password)
			if !errors.Is(err, accounts.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want ErrInvalid naming %s", err, tt.want)
			}
		})
	}
	if _, err := svc.Add(context.Background(), ok, "12345678"); err != nil {
		t.Errorf("valid account refused: %v", err)
	}
	if list, _ := svc.List(context.Background()); len(list) != 1 {
		t.Errorf("%d accounts stored; want only the valid one", len(list))
	}
}

func TestListOrdered(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	for _, u := range []string{"zhao", "li.na", "a1"} {
		addAgent(t, svc, u)
	}
	list, err := svc.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Username)
	}
	if !slices.Equal(names, []string{"a1", "li.na", "zhao"}) {
		t.Errorf("List = %q; want ordered by username", names)
	}
}

func TestSetPasswordAndDisableUnknown(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	if err := svc.SetPassword(ctx, "nobody", testPassword); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("SetPassword(nobody) error %v; want ErrNotFound", err)
	}
	if err := svc.SetDisabled(ctx, "nobody", true); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("SetDisabled(nobody) error %v; want ErrNotFound", err)
	}
	addAgent(t, svc, "li.na")
	if err := svc.SetPassword(ctx, "li.na", "short"); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("SetPassword(short) error %v; want ErrInvalid", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	if _, err := accounts.New(accounts.Config{}); err == nil {
		t.Error("New without a store succeeded")
	}
	_, st := newService(t, newClock())
	if _, err := accounts.New(accounts.Config{Store: st, BcryptCost: 99}); err == nil {
		t.Error("New with bcrypt cost 99 succeeded")
	}
}
