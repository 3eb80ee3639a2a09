package knowledge

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every problem LoadDir finds in the knowledge base
// files; test for it with errors.Is. The individual problems are *Problem
// values (errors.As), all joined into one error.
var ErrInvalid = errors.New("knowledge: invalid knowledge base")

// ErrNoSegmenter is returned by Open when Config.Segmenter is nil.
var ErrNoSegmenter = errors.New("knowledge: Config.Segmenter is required")

// ErrClosed is returned by Search after Close.
var ErrClosed = errors.New("knowledge: base is closed")

// Problem is one thing wrong in a knowledge base file, at File:Line.
type Problem struct {
	File string
	Line int
	Msg  string
}

// Error returns "file:line: message", the form editors and CI logs link to.
func (p *Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Is makes every Problem match ErrInvalid.
func (p *Problem) Is(target error) bool { return target == ErrInvalid }
