package accounts_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotline12345/hotline/handoff/accounts"
)

// TestControlClient: the client of the control handler behaves as the
// service itself, errors included, and never carries password hashes.
func TestControlClient(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	srv := httptest.NewServer(svc.ControlHandler())
	t.Cleanup(srv.Close)
	c := accounts.NewControlClient(srv.Client(), srv.URL)
	ctx := context.Background()

	a, err := c.Add(ctx, accounts.Agent{Username: "li.na", Name: "李娜", Skills: []string{"housing"}, Role: accounts.RoleSupervisor}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a.Username != "li.na" || a.MaxChats != 3 || a.Role != accounts.RoleSupervisor || a.PasswordHash != "" || a.Created.IsZero() {
		t.Errorf("Add returned %+v; want the stored account without hash", a)
	}
	if _, err := svc.Get(ctx, "li.na"); err != nil {
		t.Fatalf("not stored: %v", err)
	}
	_, err = c.Add(ctx, accounts.Agent{Username: "li.na", Name: "李娜"}, testPassword)
	if !errors.Is(err, accounts.ErrExists) {
		t.Errorf("duplicate: %v; want ErrExists", err)
	}
	_, err = c.Add(ctx, accounts.Agent{Username: "wang", Name: "王伟", Skills: []string{"cooking"}}, testPassword)
	if !errors.Is(err, accounts.ErrInvalid) || !strings.Contains(err.Error(), `skill "cooking"`) {
		t.Errorf("unknown skill: %v; want ErrInvalid naming it", err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].Username != "li.na" || list[0].PasswordHash != "" {
		t.Errorf("List = %+v, %v", list, err)
	}
	if got, err := c.Get(ctx, "li.na"); err != nil || got.Name != "李娜" || got.PasswordHash != "" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := c.Get(ctx, "nobody"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("Get(nobody): %v; want ErrNotFound", err)
	}

	token, _, err := svc.Login(ctx, "li.na", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetPassword(ctx, "li.na", "another password"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("session after passwd over the socket: %v", err)
	}
	if err := c.SetPassword(ctx, "li.na", "short"); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("short password: %v; want ErrInvalid", err)
	}
	if err := c.SetDisabled(ctx, "li.na", true); err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Get(ctx, "li.na"); !a.Disabled {
		t.Error("not disabled")
	}
	if err := c.SetDisabled(ctx, "li.na", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Login(ctx, "li.na", "another password"); err != nil {
		t.Errorf("login after enable: %v", err)
	}
	if err := c.SetDisabled(ctx, "nobody", true); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("disable nobody: %v; want ErrNotFound", err)
	}
}

func TestControlHandlerBadBody(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	for _, body := range []string{`{"agent":`, `{"agent":{"username":"li.na"},"password":"x","admin":true}`} {
		r := httptest.NewRequest(http.MethodPost, "/agents", strings.NewReader(body))
		w := httptest.NewRecorder()
		svc.ControlHandler().ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"bad_request"`) {
			t.Errorf("body %s: %d %s; want 400 bad_request", body, w.Code, w.Body)
		}
	}
}
