package accounts

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role says what an agent may do in the console.
type Role string

// The roles. A supervisor also sees every agent and live chat, picks
// queued chats, joins and takes chats over; an admin is a supervisor who
// also manages the knowledge base and the accounts.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Limits of an agent's settings.
const (
	// DefaultMaxChats is how many chats an agent holds at once unless told.
	DefaultMaxChats = 3
	// MaxMaxChats bounds MaxChats: beyond it nobody answers fast.
	MaxMaxChats = 20
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 8
	// maxPasswordBytes is bcrypt's limit: it ignores what comes after.
	maxPasswordBytes = 72
	maxNameLen       = 64
)

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// skillRE is the shape of a department code; Config.ValidSkill says which
// codes exist.
var skillRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Agent is a human agent's account, stored as JSON in the store's records
// of kind "agent" under the username.
type Agent struct {
	// Username signs in; lower-case letters, digits, '.', '_' and '-',
	// 2 to 32 characters. It never changes.
	Username string `json:"username"`
	// Name is shown to colleagues in the console (never to citizens).
	Name string `json:"name"`
	// Skills are the department codes whose queues the agent serves.
	Skills []string `json:"skills"`
	// MaxChats is how many chats the agent holds at once, 1..20; default 3.
	MaxChats int `json:"max_chats"`
	// Role is agent (the default), supervisor or admin.
	Role Role `json:"role"`
	// Disabled accounts cannot sign in; their sessions end.
	Disabled bool `json:"disabled,omitempty"`
	// PasswordHash is the bcrypt hash of the password. Public clears it.
	PasswordHash string `json:"password_hash,omitempty"`
	// Generation increases when the password changes or the account is
	// disabled: sessions of an older generation are refused.
	Generation int64 `json:"generation"`
	// Failures are the times of the failed logins within the failure
	// window, oldest first; a login in progress counts as one until it
	// succeeds (so parallel guesses cannot exceed the limit).
	Failures []time.Time `json:"failures,omitempty"`
	// LockedUntil is when a lockout after repeated failures ends.
	LockedUntil time.Time `json:"locked_until,omitzero"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Profile is what the agent and the console see of an account.
type Profile struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	Skills   []string `json:"skills"`
	MaxChats int      `json:"max_chats"`
}

// Profile returns the agent's public profile.
func (a Agent) Profile() Profile {
	return Profile{Username: a.Username, Name: a.Name, Role: a.Role, Skills: nonNil(a.Skills), MaxChats: a.MaxChats}
}

// Public returns a copy without the password hash and the failure times,
// for listings.
func (a Agent) Public() Agent {
	a.PasswordHash = ""
	a.Failures = nil
	a.Skills = nonNil(a.Skills)
	return a
}

// Supervises reports whether the role may watch and steer other agents'
// chats.
func (r Role) Supervises() bool { return r == RoleSupervisor || r == RoleAdmin }

// LockedAt reports whether the account is locked at now.
func (a Agent) LockedAt(now time.Time) bool { return now.Before(a.LockedUntil) }

// normalize fills defaults and checks every field Add takes from the caller.
func (a *Agent) normalize(validSkill func(string) bool) error {
	if !usernameRE.MatchString(a.Username) {
		return fmt.Errorf("%w username %q: want 2 to 32 of a-z 0-9 . _ - starting with a letter or digit", ErrInvalid, a.Username)
	}
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case a.Name == "":
		return fmt.Errorf("%w name: required", ErrInvalid)
	case utf8.RuneCountInString(a.Name) > maxNameLen:
		return fmt.Errorf("%w name: at most %d characters", ErrInvalid, maxNameLen)
	case strings.ContainsFunc(a.Name, unicode.IsControl):
		return fmt.Errorf("%w name: control characters", ErrInvalid)
	}
	if a.MaxChats == 0 {
		a.MaxChats = DefaultMaxChats
	}
	if a.MaxChats < 1 || a.MaxChats > MaxMaxChats {
		return fmt.Errorf("%w max chats %d: want 1 to %d", ErrInvalid, a.MaxChats, MaxMaxChats)
	}
	if a.Role == "" {
		a.Role = RoleAgent
	}
	switch a.Role {
	case RoleAgent, RoleSupervisor, RoleAdmin:
	default:
		return fmt.Errorf("%w role %q: want agent, supervisor or admin", ErrInvalid, a.Role)
	}
	skills := make([]string, 0, len(a.Skills))
	for _, s := range a.Skills {
		s = strings.TrimSpace(s)
		if s == "" || slices.Contains(skills, s) {
			continue
		}
		if !skillRE.MatchString(s) || (validSkill != nil && !validSkill(s)) {
			return fmt.Errorf("%w skill %q: not a department code of the catalogue", ErrInvalid, s)
		}
		skills = append(skills, s)
	}
	a.Skills = skills
	return nil
}

// checkPassword says what is wrong with a new password.
func checkPassword(p string) error {
	switch {
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return fmt.Errorf("%w password: at least %d characters", ErrInvalid, MinPasswordLen)
	case len(p) > maxPasswordBytes:
		return fmt.Errorf("%w password: at most %d bytes", ErrInvalid, maxPasswordBytes)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w password: not UTF-8", ErrInvalid)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
