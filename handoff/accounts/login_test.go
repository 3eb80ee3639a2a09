package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/handoff/accounts"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	if err := svc.SetDisabled(ctx, addAgent(t, svc, "gone").Username, true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username, password string
		want                     error
	}{
		{"right password", "li.na", testPassword, nil},
		{"username typed with capitals and spaces", " Li.Na ", testPassword, nil},
		{"wrong password", "li.na", "wrong horse", accounts.ErrBadCredentials},
		{"unknown user", "nobody", testPassword, accounts.ErrBadCredentials},
		{"malformed username", "../etc", testPassword, accounts.ErrBadCredentials},
		{"disabled, right password", "gone", testPassword, accounts.ErrBadCredentials},
		{"empty password", "li.na", "", accounts.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, a, err := svc.Login(ctx, tt.username, tt.password)
			if err != tt.want { // the very same error: nothing tells the cases apart
				t.Fatalf("Login error %v; want %v", err, tt.want)
			}
			if tt.want != nil {
				if token != "" || a.Username != "" {
					t.Errorf("failed login returned token %q and %+v", token, a)
				}
				return
			}
			if len(token) != 43 || strings.ContainsAny(token, "+/=") {
				t.Errorf("token %q; want 32 bytes base64url without padding", token)
			}
			if a.Username != "li.na" {
				t.Errorf("agent %q; want li.na", a.Username)
			}
			got, err := svc.Authenticate(ctx, token)
			if err != nil || got.Username != "li.na" {
				t.Errorf("Authenticate = %q, %v; want li.na", got.Username, err)
			}
		})
	}
}

// TestSessionStoredHashed: the store keeps the token's hash, never the token.
func TestSessionStoredHashed(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	token, _, err := svc.Login(ctx, "li.na", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Key(ctx, "agent-session:"+token); err == nil {
		t.Error("the token itself is a store key")
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), token + "A"} {
		if _, err := svc.Authenticate(ctx, bad); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("Authenticate(%q) error %v; want ErrNoSession", bad, err)
		}
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc, _ := newService(t, clk)
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	token, _, err := svc.Login(ctx, "li.na", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(12*time.Hour - time.Second)
	if _, err := svc.Authenticate(ctx, token); err != nil {
		t.Errorf("session refused before its 12 h: %v", err)
	}
	clk.Advance(2 * time.Second)
	if _, err := svc.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("session after 12 h: error %v; want ErrNoSession", err)
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc, _ := newService(t, clk)
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	for i := 1; i <= 4; i++ {
		if _, _, err := svc.Login(ctx, "li.na", "guess"); err != accounts.ErrBadCredentials {
			t.Fatalf("failure %d: %v; want ErrBadCredentials", i, err)
		}
		clk.Advance(time.Minute)
	}
	_, _, err := svc.Login(ctx, "li.na", "guess")
	locked, ok := errors.AsType[*accounts.LockedError](err)
	if !ok || !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("5th failure: %v; want a LockedError", err)
	}
	if want := clk.Now().Add(15 * time.Minute); !locked.Until.Equal(want) {
		t.Errorf("locked until %v; want %v", locked.Until, want)
	}
	// Locked: even the right password is refused.
	clk.Advance(15*time.Minute - time.Second)
	if _, _, err := svc.Login(ctx, "li.na", testPassword); !errors.Is(err, accounts.ErrLocked) {
		t.Errorf("right password while locked: %v; want ErrLocked", err)
	}
	clk.Advance(time.Second)
	if _, _, err := svc.Login(ctx, "li.na", testPassword); err != nil {
		t.Errorf("right password after the lockout: %v", err)
	}
}

// TestFailuresOutsideWindow: failures spread over more than the window do
// not lock, and a success forgives those before it.
func TestFailuresOutsideWindow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc, _ := newService(t, clk)
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	for i := range 10 {
		if _, _, err := svc.Login(ctx, "li.na", "guess"); err != accounts.ErrBadCredentials {
			t.Fatalf("failure %d, 4 minutes apart: %v; want ErrBadCredentials", i+1, err)
		}
		clk.Advance(4 * time.Minute)
	}
	clk.Advance(15 * time.Minute)
	for range 4 {
		svc.Login(ctx, "li.na", "guess")
	}
	if _, _, err := svc.Login(ctx, "li.na", testPassword); err != nil {
		t.Fatalf("right password after 4 failures: %v", err)
	}
	for i := range 4 {
		if _, _, err := svc.Login(ctx, "li.na", "guess"); err != accounts.ErrBadCredentials {
			t.Fatalf("failure %d after a success: %v; want ErrBadCredentials", i+1, err)
		}
	}
}

// TestParallelGuesses: guesses sent at once are counted before they are
// compared, so no more than MaxFailures are ever compared.
func TestParallelGuesses(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[error]int{}
	)
	for range 20 {
		wg.Go(func() {
			_, _, err := svc.Login(ctx, "li.na", "guess")
			if errors.Is(err, accounts.ErrLocked) {
				err = accounts.ErrLocked
			}
			mu.Lock()
			counts[err]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[accounts.ErrBadCredentials] > 4 || counts[accounts.ErrLocked] < 16 || len(counts) != 2 {
		t.Errorf("20 parallel guesses: %v; want at most 4 bad credentials, the rest locked", counts)
	}
}

func TestLockoutLiftedByAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, lift := range map[string]func(*accounts.Service) error{
		"passwd": func(s *accounts.Service) error { return s.SetPassword(ctx, "li.na", "new password") },
		"enable": func(s *accounts.Service) error { return s.SetDisabled(ctx, "li.na", false) },
	} {
		t.Run(name, func(t *testing.T) {
			svc, _ := newService(t, newClock())
			addAgent(t, svc, "li.na")
			for range 5 {
				svc.Login(ctx, "li.na", "guess")
			}
			if a, _ := svc.Get(ctx, "li.na"); a.LockedUntil.IsZero() {
				t.Fatal("not locked after 5 failures")
			}
			if err := lift(svc); err != nil {
				t.Fatal(err)
			}
			if a, _ := svc.Get(ctx, "li.na"); !a.LockedUntil.IsZero() || len(a.Failures) != 0 {
				t.Errorf("after %s: locked until %v, failures %v; want neither", name, a.LockedUntil, a.Failures)
			}
		})
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	addAgent(t, svc, "wang")
	old, _, _ := svc.Login(ctx, "li.na", testPassword)
	other, _, _ := svc.Login(ctx, "wang", testPassword)
	if err := svc.SetPassword(ctx, "li.na", "a new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, old); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("session from before passwd: %v; want ErrNoSession", err)
	}
	if _, err := svc.Authenticate(ctx, other); err != nil {
		t.Errorf("another agent's session ended: %v", err)
	}
	if _, _, err := svc.Login(ctx, "li.na", testPassword); err != accounts.ErrBadCredentials {
		t.Errorf("old password: %v; want ErrBadCredentials", err)
	}
	token, a, err := svc.Login(ctx, "li.na", "a new password")
	if err != nil || a.Generation != 2 {
		t.Fatalf("new password: generation %d, %v; want generation 2", a.Generation, err)
	}
	if _, err := svc.Authenticate(ctx, token); err != nil {
		t.Errorf("new session refused: %v", err)
	}
}

func TestDisableEndsSessions(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	token, _, _ := svc.Login(ctx, "li.na", testPassword)
	if err := svc.SetDisabled(ctx, "li.na", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("session of a disabled agent: %v; want ErrNoSession", err)
	}
	if err := svc.SetDisabled(ctx, "li.na", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("session from before disable, after enable: %v; want ErrNoSession", err)
	}
	if _, _, err := svc.Login(ctx, "li.na", testPassword); err != nil {
		t.Errorf("login after enable: %v", err)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	ctx := context.Background()
	addAgent(t, svc, "li.na")
	first, _, _ := svc.Login(ctx, "li.na", testPassword)
	second, _, _ := svc.Login(ctx, "li.na", testPassword)
	if err := svc.Logout(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, first); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("after logout: %v; want ErrNoSession", err)
	}
	if _, err := svc.Authenticate(ctx, second); err != nil {
		t.Errorf("the other session (another browser) ended too: %v", err)
	}
	if err := svc.Logout(ctx, first); err != nil {
		t.Errorf("second logout: %v; want none", err)
	}
}
