// Package accounts keeps the human agents' accounts and signs them in: the
// `hotline agent` commands manage the accounts, the agent console signs in
// with POST /api/v1/login and carries a session cookie (docs/PROTOCOL.md,
// "Signing in"), and the agent WebSocket checks it with FromRequest.
//
// Passwords are kept as bcrypt hashes. Session tokens are 32 random bytes;
// the store keeps only their SHA-256 hash, with a TTL, so a copy of the
// store signs nobody in. A session names the account's generation, which
// changing the password or disabling the account increases: every session
// of the account ends at once, on every instance.
package accounts

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline12345/hotline/store"
)

// Store is what the accounts need from the store: the accounts as records,
// the sessions as keys that expire.
type Store interface {
	store.Records
	store.Keys
}

// RecordKind is the store.Records kind the accounts are kept under.
const RecordKind = "agent"

// Config configures a Service. Zero fields take their defaults.
type Config struct {
	// Store keeps the accounts and the sessions. Required.
	Store Store
	// ValidSkill says whether a department code exists (the server passes
	// the catalogue of kb-data/departments.yaml). Nil accepts any code of
	// the right shape.
	ValidSkill func(code string) bool
	// SessionTTL is how long a session lasts after login. Default 12 h:
	// a long shift, after which the agent signs in again.
	SessionTTL time.Duration
	// MaxFailures failed logins within FailureWindow lock the account for
	// Lockout. Defaults 5, 15 min and 15 min: enough for typos, far too few
	// to guess a password. Anyone can lock an account whose username they
	// know; an admin lifts it early with passwd or enable.
	MaxFailures   int
	FailureWindow time.Duration
	Lockout       time.Duration
	// BcryptCost is the cost of new password hashes. Default
	// bcrypt.DefaultCost (about 50 ms per login on a current server);
	// tests use bcrypt.MinCost.
	BcryptCost int
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives sign-ins, failures, lockouts and account changes,
	// with usernames, never passwords or tokens. Default: discard.
	Logger *slog.Logger
}

// Service manages the accounts and their sessions. It keeps no state of its
// own: any number of instances may share one store.
type Service struct {
	cfg Config
	log *slog.Logger

	dummyOnce sync.Once
	dummyHash []byte // a hash to compare unknown usernames against
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("accounts: a store is required")
	}
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, 12*time.Hour)
	cfg.MaxFailures = cmp.Or(cfg.MaxFailures, 5)
	cfg.FailureWindow = cmp.Or(cfg.FailureWindow, 15*time.Minute)
	cfg.Lockout = cmp.Or(cfg.Lockout, 15*time.Minute)
	cfg.BcryptCost = cmp.Or(cfg.BcryptCost, bcrypt.DefaultCost)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.SessionTTL < 0 || cfg.MaxFailures < 0 || cfg.FailureWindow < 0 || cfg.Lockout < 0:
		return nil, errors.New("accounts: durations and MaxFailures must not be negative")
	case cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost:
		return nil, fmt.Errorf("accounts: bcrypt cost %d: want %d to %d", cfg.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Add creates the account a with password. Zero MaxChats and Role take
// their defaults; Generation, failures and times are set here. It returns
// the stored account, ErrExists when the username is taken, or an error
// wrapping ErrInvalid that says which field is wrong.
func (s *Service) Add(ctx context.Context, a Agent, password string) (Agent, error) {
	if err := a.normalize(s.cfg.ValidSkill); err != nil {
		return Agent{}, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return Agent{}, err
	}
	now := s.now()
	a.Disabled = false
	a.PasswordHash = string(hash)
	a.Generation = 1
	a.Failures, a.LockedUntil = nil, time.Time{}
	a.Created, a.Updated = now, now
	value, err := json.Marshal(a)
	if err != nil {
		return Agent{}, err
	}
	_, err = s.cfg.Store.UpdateRecord(ctx, RecordKind, a.Username, func(current []byte) ([]byte, error) {
		if current != nil {
			return nil, fmt.Errorf("%w: %s", ErrExists, a.Username)
		}
		return value, nil
	})
	if err != nil {
		return Agent{}, err
	}
	s.log.Info("agent account added", "username", a.Username, "role", a.Role, "skills", a.Skills)
	return a, nil
}

// Get returns the account, or an error wrapping ErrNotFound.
func (s *Service) Get(ctx context.Context, username string) (Agent, error) {
	value, err := s.cfg.Store.Record(ctx, RecordKind, username)
	if errors.Is(err, store.ErrNotFound) {
		return Agent{}, fmt.Errorf("%w: %s", ErrNotFound, username)
	}
	if err != nil {
		return Agent{}, err
	}
	return decode(username, value)
}

// List returns every account, ordered by username.
func (s *Service) List(ctx context.Context) ([]Agent, error) {
	records, err := s.cfg.Store.Records(ctx, RecordKind)
	if err != nil {
		return nil, err
	}
	agents := make([]Agent, 0, len(records))
	for _, r := range records {
		a, err := decode(r.ID, r.Value)
		if err != nil {
			return nil, err
		}
		agents = append(agents, a)
	}
	return agents, nil
}

// SetPassword replaces the password, ends every session of the account and
// lifts a lockout.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, username, func(a *Agent) error {
		a.PasswordHash = string(hash)
		a.Generation++
		a.Failures, a.LockedUntil = nil, time.Time{}
		a.Updated = s.now()
		return nil
	})
	if err == nil {
		s.log.Info("agent password changed", "username", username)
	}
	return err
}

// SetDisabled disables the account, ending its sessions, or enables it
// again, which also lifts a lockout.
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool) error {
	_, err := s.update(ctx, username, func(a *Agent) error {
		if disabled && !a.Disabled {
			a.Generation++
		}
		if !disabled {
			a.Failures, a.LockedUntil = nil, time.Time{}
		}
		a.Disabled = disabled
		a.Updated = s.now()
		return nil
	})
	if err == nil {
		s.log.Info("agent account changed", "username", username, "disabled", disabled)
	}
	return err
}

// update applies fn to the stored account atomically; the account is
// returned as stored.
func (s *Service) update(ctx context.Context, username string, fn func(*Agent) error) (Agent, error) {
	var a Agent
	_, err := s.cfg.Store.UpdateRecord(ctx, RecordKind, username, func(current []byte) ([]byte, error) {
		if current == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, username)
		}
		var err error
		if a, err = decode(username, current); err != nil {
			return nil, err
		}
		if err := fn(&a); err != nil {
			return nil, err
		}
		return json.Marshal(a)
	})
	return a, err
}

func (s *Service) hash(password string) ([]byte, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	return bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
}

func decode(username string, value []byte) (Agent, error) {
	var a Agent
	if err := json.Unmarshal(value, &a); err != nil {
		return Agent{}, fmt.Errorf("accounts: decode agent %s: %w", username, err)
	}
	return a, nil
}
