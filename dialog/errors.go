package dialog

import "errors"

// ErrBadScore is returned for a rating outside 1..5.
var ErrBadScore = errors.New("dialog: rating score must be 1..5")
