package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline12345/hotline/store"
)

// sessionKeyPrefix namespaces the sessions in store.Keys; the rest of the
// key is the hex SHA-256 of the token.
const sessionKeyPrefix = "agent-session:"

// tokenLen is the length of a session token: 32 random bytes, base64url.
var tokenLen = base64.RawURLEncoding.EncodedLen(32)

// session is the value kept under a session key.
type session struct {
	Username   string `json:"username"`
	Generation int64  `json:"generation"`
}

// Login checks the password and starts a session. It returns the session
// token (for the cookie; never log it) and the account. The username is
// taken without surrounding spaces and in lower case. A wrong password,
// an unknown username and a disabled account all return ErrBadCredentials
// after about the same time (a bcrypt comparison); a locked account
// returns a *LockedError, also on the failure that locks it.
//
// Every attempt is counted as a failure before the password is compared
// and forgiven when it matches, so that parallel guesses cannot exceed
// MaxFailures.
func (s *Service) Login(ctx context.Context, username, password string) (string, Agent, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.now()
	if !usernameRE.MatchString(username) {
		s.compareDummy(password)
		return "", Agent{}, ErrBadCredentials
	}
	a, err := s.update(ctx, username, func(a *Agent) error {
		if a.LockedAt(now) {
			return &LockedError{Until: a.LockedUntil}
		}
		a.Failures = recent(a.Failures, now.Add(-s.cfg.FailureWindow))
		if len(a.Failures) >= s.cfg.MaxFailures {
			// As many guesses as allowed are being compared right now.
			return &LockedError{Until: now.Add(s.cfg.Lockout)}
		}
		a.Failures = append(a.Failures, now)
		return nil
	})
	locked, isLocked := errors.AsType[*LockedError](err)
	switch {
	case errors.Is(err, ErrNotFound):
		s.compareDummy(password)
		s.log.Info("agent login failed", "username", username, "reason", "unknown")
		return "", Agent{}, ErrBadCredentials
	case isLocked:
		s.log.Info("agent login refused", "username", username, "reason", "locked", "until", locked.Until)
		return "", Agent{}, err
	case err != nil:
		return "", Agent{}, fmt.Errorf("accounts: login %s: %w", username, err)
	}

	match := bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) == nil
	if !match || a.Disabled {
		return "", Agent{}, s.failed(ctx, username, a.Disabled, now)
	}
	checked := a.Generation
	a, err = s.update(ctx, username, func(a *Agent) error {
		if a.Disabled || a.Generation != checked {
			return ErrBadCredentials // disabled or password changed meanwhile
		}
		a.Failures = nil
		return nil
	})
	if errors.Is(err, ErrBadCredentials) {
		return "", Agent{}, err
	}
	if err != nil {
		return "", Agent{}, fmt.Errorf("accounts: login %s: %w", username, err)
	}
	token, err := s.startSession(ctx, a)
	if err != nil {
		return "", Agent{}, err
	}
	s.log.Info("agent signed in", "username", username)
	return token, a, nil
}

// failed locks the account when the failure just counted is one too many.
func (s *Service) failed(ctx context.Context, username string, disabled bool, now time.Time) error {
	reason := "password"
	if disabled {
		reason = "disabled"
	}
	var until time.Time
	_, err := s.update(ctx, username, func(a *Agent) error {
		until = time.Time{}
		a.Failures = recent(a.Failures, now.Add(-s.cfg.FailureWindow))
		if len(a.Failures) >= s.cfg.MaxFailures && !a.LockedAt(now) {
			a.LockedUntil = now.Add(s.cfg.Lockout)
			a.Failures = nil
			until = a.LockedUntil
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts: login %s: %w", username, err)
	}
	if !until.IsZero() {
		s.log.Warn("agent account locked after repeated failed logins", "username", username, "until", until)
		return &LockedError{Until: until}
	}
	s.log.Info("agent login failed", "username", username, "reason", reason)
	return ErrBadCredentials
}

// compareDummy spends the time of a real comparison, so that an unknown
// username answers as slowly as a wrong password.
func (s *Service) compareDummy(password string) {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no agent has this password"), s.cfg.BcryptCost)
	})
	_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
}

// recent returns the times after since.
func recent(times []time.Time, since time.Time) []time.Time {
	out := times[:0]
	for _, t := range times {
		if t.After(since) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Service) startSession(ctx context.Context, a Agent) (string, error) {
	raw := make([]byte, 32)
	rand.Read(raw) // never fails (crypto/rand)
	token := base64.RawURLEncoding.EncodeToString(raw)
	value, err := json.Marshal(session{Username: a.Username, Generation: a.Generation})
	if err != nil {
		return "", err
	}
	if err := s.cfg.Store.SetKey(ctx, sessionKey(token), value, s.cfg.SessionTTL); err != nil {
		return "", fmt.Errorf("accounts: save session of %s: %w", a.Username, err)
	}
	return token, nil
}

// Authenticate returns the account a session token belongs to, or
// ErrNoSession when the session expired or ended, or the account was
// disabled or changed its password since.
func (s *Service) Authenticate(ctx context.Context, token string) (Agent, error) {
	if len(token) != tokenLen {
		return Agent{}, ErrNoSession
	}
	value, err := s.cfg.Store.Key(ctx, sessionKey(token))
	if errors.Is(err, store.ErrNotFound) {
		return Agent{}, ErrNoSession
	}
	if err != nil {
		return Agent{}, fmt.Errorf("accounts: read session: %w", err)
	}
	var sess session
	if err := json.Unmarshal(value, &sess); err != nil {
		return Agent{}, ErrNoSession
	}
	a, err := s.Get(ctx, sess.Username)
	if errors.Is(err, ErrNotFound) {
		return Agent{}, ErrNoSession
	}
	if err != nil {
		return Agent{}, err
	}
	if a.Disabled || a.Generation != sess.Generation {
		return Agent{}, ErrNoSession
	}
	return a, nil
}

// Logout ends the session; ending one that does not exist is no error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if len(token) != tokenLen {
		return nil
	}
	if err := s.cfg.Store.DeleteKey(ctx, sessionKey(token)); err != nil {
		return fmt.Errorf("accounts: end session: %w", err)
	}
	return nil
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return sessionKeyPrefix + hex.EncodeToString(sum[:])
}
