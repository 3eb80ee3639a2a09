package embedded

import (
	"context"

	"github.com/hotline12345/hotline/store/keylock"
)

// locker serializes work per key inside one process, which is all the
// embedded backend ever has (the data file admits one process).
type locker struct{ keys keylock.Map }

func newLocker() *locker { return &locker{} }

// Lock implements store.Locker.
func (l *locker) Lock(ctx context.Context, key string) (func(), error) {
	return l.keys.Lock(ctx, key)
}
