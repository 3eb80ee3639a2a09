package store

import "errors"

// ErrNotFound is returned when a conversation or session does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned when creating something whose id is already used.
var ErrExists = errors.New("store: already exists")

// ErrUnavailable is returned when the backend cannot be reached; retrying
// later makes sense.
var ErrUnavailable = errors.New("store: unavailable")
