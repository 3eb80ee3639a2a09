package stats

import "errors"

// ErrBadQuery is wrapped by the errors of Report about its query: a range
// that ends before it starts, or an unknown granularity.
var ErrBadQuery = errors.New("stats: bad query")
