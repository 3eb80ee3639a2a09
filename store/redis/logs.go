package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var _ store.Logs = (*Store)(nil)

// A log is a stream whose entry ids are "<seq>-0", with fields d (the
// data) and t (the time, unix ns), and a counter of its last seq; both
// keys share the log's hash tag.

// appendLogScript numbers an entry and adds it to the stream in one atomic
// step, so concurrent appenders on any number of instances get 1, 2, 3…
// with no gaps.
// KEYS: seq, stream. ARGV: data, time (unix ns). Returns the seq.
var appendLogScript = goredis.NewScript(`
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], seq .. '-0', 'd', ARGV[1], 't', ARGV[2])
return seq
`)

// AppendLog implements store.Logs.
func (s *Store) AppendLog(ctx context.Context, name string, data []byte) (store.LogEntry, error) {
	if name == "" {
		return store.LogEntry{}, errors.New("redis: log name is required")
	}
	now := s.now()
	keys := []string{s.keys.log(name, "seq"), s.keys.log(name, "stream")}
	seq, err := appendLogScript.Run(ctx, s.client, keys, data, now.UnixNano()).Int64()
	if err != nil {
		return store.LogEntry{}, unavailable("append log", err)
	}
	return store.LogEntry{Seq: seq, Data: data, Time: now}, nil
}

// ReadLog implements store.Logs. A limit of 0 or less means 100.
func (s *Store) ReadLog(ctx context.Context, name string, after int64, limit int) ([]store.LogEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	after = max(after, 0)
	entries, err := s.client.XRangeN(ctx, s.keys.log(name, "stream"), strconv.FormatInt(after+1, 10), "+", int64(limit)).Result()
	if err != nil {
		return nil, unavailable("read log", err)
	}
	out := make([]store.LogEntry, 0, len(entries))
	for _, e := range entries {
		ms, _, _ := strings.Cut(e.ID, "-")
		seq, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: log %s: entry id %q", name, e.ID)
		}
		data, _ := e.Values["d"].(string)
		ns, _ := e.Values["t"].(string)
		t, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: log %s/%d: time %q", name, seq, ns)
		}
		out = append(out, store.LogEntry{Seq: seq, Data: []byte(data), Time: time.Unix(0, t)})
	}
	return out, nil
}
