package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var _ store.Transcripts = (*Store)(nil)

// appendScript assigns the next sequence number and adds the message to
// the stream, unless its client id was stored before: one round trip, and
// the de-duplication and the numbering are one atomic step, so concurrent
// writers on any number of instances get 1, 2, 3… with no gaps.
//
// KEYS: meta, stream, ids. ARGV: client id ("" for none), message JSON
// (without its seq), time (unix ns).
// Returns {0, seq} for a new message, {1, seq, stored JSON} for a
// duplicate, {-1} when the conversation does not exist.
var appendScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if ARGV[1] ~= '' then
  local seq = redis.call('HGET', KEYS[3], ARGV[1])
  if seq then
    local e = redis.call('XRANGE', KEYS[2], seq, seq)
    local data = ''
    if e[1] then data = e[1][2][2] end
    return {1, tonumber(seq), data}
  end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], seq .. '-0', 'm', ARGV[2])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], seq) end
redis.call('HSET', KEYS[1], 'updated', ARGV[3])
return {0, seq}
`)

// Append implements store.Transcripts.
func (s *Store) Append(ctx context.Context, conversation string, m store.Message) (store.Message, bool, error) {
	m.Seq = 0
	m.Time = s.now()
	data, err := json.Marshal(m)
	if err != nil {
		return store.Message{}, false, err
	}
	keys := []string{s.keys.conv(conversation, "meta"), s.keys.conv(conversation, "stream"), s.keys.conv(conversation, "ids")}
	res, err := appendScript.Run(ctx, s.client, keys, m.ID, data, m.Time.UnixNano()).Slice()
	if err != nil {
		return store.Message{}, false, unavailable("append", err)
	}
	switch status := parseInt(res[0]); {
	case status < 0:
		return store.Message{}, false, store.ErrNotFound
	case status == 1:
		stored := store.Message{ID: m.ID}
		if raw, _ := res[2].(string); raw != "" {
			if err := json.Unmarshal([]byte(raw), &stored); err != nil {
				return store.Message{}, false, fmt.Errorf("redis: decode message %s/%d: %w", conversation, parseInt(res[1]), err)
			}
		}
		stored.Seq = parseInt(res[1])
		return stored, true, nil
	default:
		m.Seq = parseInt(res[1])
		return m, false, nil
	}
}

// Messages implements store.Transcripts.
func (s *Store) Messages(ctx context.Context, conversation string, after int64, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	entries, err := s.client.XRangeN(ctx, s.keys.conv(conversation, "stream"), strconv.FormatInt(after+1, 10), "+", int64(limit)).Result()
	if err != nil {
		return nil, unavailable("read transcript", err)
	}
	out := make([]store.Message, 0, len(entries))
	for _, e := range entries {
		ms, _, _ := strings.Cut(e.ID, "-")
		seq, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: transcript %s: entry id %q", conversation, e.ID)
		}
		var m store.Message
		raw, _ := e.Values["m"].(string)
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("redis: decode message %s/%d: %w", conversation, seq, err)
		}
		m.Seq = seq
		out = append(out, m)
	}
	return out, nil
}
