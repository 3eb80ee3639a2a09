package accounts

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadCredentials is returned by Login for a wrong password, an unknown
// username and a disabled account alike, so that a caller cannot tell
// which accounts exist.
var ErrBadCredentials = errors.New("accounts: bad username or password")

// ErrLocked is matched (errors.Is) by the *LockedError Login returns while
// an account is locked after repeated failures.
var ErrLocked = errors.New("accounts: account locked after repeated failed logins")

// ErrNoSession is returned by Authenticate and FromRequest when there is no
// session token, or it expired, was ended, or belongs to an agent who was
// disabled or changed password since.
var ErrNoSession = errors.New("accounts: no valid session")

// ErrCrossOrigin is returned by FromRequest when the request's Origin is
// not the gateway's own: another site's page must not use an agent's cookie.
var ErrCrossOrigin = errors.New("accounts: request from another origin")

// ErrExists is returned by Add when the username is taken.
var ErrExists = errors.New("accounts: agent already exists")

// ErrNotFound is returned when no agent has the username.
var ErrNotFound = errors.New("accounts: no such agent")

// ErrInvalid is wrapped by every validation error of Add and SetPassword;
// the message names the field and what is wrong with it.
var ErrInvalid = errors.New("invalid")

// LockedError says until when an account is locked. It matches ErrLocked.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
