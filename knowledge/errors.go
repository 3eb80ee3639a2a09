package knowledge

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every problem LoadDir, ValidateEntry, Apply,
// LoadSynonyms and Lint find in entries or files; test for it with
// errors.Is. The individual problems are *Problem values (errors.As), all
// joined into one error.
var ErrInvalid = errors.New("knowledge: invalid knowledge base")

// ErrNotFound is returned by Apply when asked to retire an id the base does
// not have.
var ErrNotFound = errors.New("knowledge: no such entry")

// ErrNoSegmenter is returned by Open when Config.Segmenter is nil.
var ErrNoSegmenter = errors.New("knowledge: Config.Segmenter is required")

// ErrClosed is returned by Search and Apply after Close.
var ErrClosed = errors.New("knowledge: base is closed")

// Problem is one thing wrong with an entry or in a knowledge base file, at
// File:Line when it came from a file.
type Problem struct {
	// File and Line locate the problem; File is "" for an entry that did
	// not come from a file (one passed to ValidateEntry or Apply).
	File string
	Line int
	// ID is the entry's id when the problem is about one entry.
	ID string
	// Field is the entry field the problem is about ("similar",
	// "source.url"), "" when it is about the whole entry or file.
	Field string
	Msg   string
}

// Error returns "file:line: message", the form editors and CI logs link to,
// or just the message when there is no file.
func (p *Problem) Error() string {
	if p.File == "" {
		return p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Is makes every Problem match ErrInvalid.
func (p *Problem) Is(target error) bool { return target == ErrInvalid }
