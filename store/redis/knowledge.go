package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var (
	_ store.Knowledge = (*Store)(nil)
	_ store.Misses    = (*Store)(nil)
)

// saveEditScript numbers an edit and keeps it as its entry's newest.
// KEYS: {kb}:version, {kb}:edits, {kb}:order. ARGV: entry id, edit JSON
// (without its version). Returns the version.
var saveEditScript = goredis.NewScript(`
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], v, ARGV[1])
return v
`)

// editsScript returns the newest edit of every entry whose newest edit has
// a version above ARGV[1], as a flat list: version, JSON, version, JSON…
// KEYS: {kb}:edits, {kb}:order.
var editsScript = goredis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[1], ids[i])
end
return out
`)

// SaveKnowledgeEdit implements store.Knowledge.
func (s *Store) SaveKnowledgeEdit(ctx context.Context, e store.KnowledgeEdit) (store.KnowledgeEdit, error) {
	e.Version = 0
	e.Time = s.now()
	data, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	keys := []string{s.keys.kb("version"), s.keys.kb("edits"), s.keys.kb("order")}
	v, err := saveEditScript.Run(ctx, s.client, keys, e.ID, data).Int64()
	if err != nil {
		return e, unavailable("save knowledge edit", err)
	}
	e.Version = v
	return e, nil
}

// KnowledgeEdits implements store.Knowledge.
func (s *Store) KnowledgeEdits(ctx context.Context, after int64) ([]store.KnowledgeEdit, error) {
	res, err := editsScript.Run(ctx, s.client, []string{s.keys.kb("edits"), s.keys.kb("order")}, after).StringSlice()
	if err != nil {
		return nil, unavailable("read knowledge edits", err)
	}
	var out []store.KnowledgeEdit
	for i := 0; i+1 < len(res); i += 2 {
		v, err := strconv.ParseFloat(res[i], 64)
		if err != nil {
			return nil, fmt.Errorf("redis: knowledge edit version %q", res[i])
		}
		var e store.KnowledgeEdit
		if err := json.Unmarshal([]byte(res[i+1]), &e); err != nil {
			return nil, fmt.Errorf("redis: decode knowledge edit (version %s): %w", res[i], err)
		}
		e.Version = int64(v)
		out = append(out, e)
	}
	return out, nil
}

// recordMissScript counts one more ask of a query.
// KEYS: count, first, last, decision. ARGV: query, decision, now (unix ns).
var recordMissScript = goredis.NewScript(`
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
return 1
`)

// RecordMiss implements store.Misses.
func (s *Store) RecordMiss(ctx context.Context, query, decision string) error {
	keys := []string{s.keys.misses("count"), s.keys.misses("first"), s.keys.misses("last"), s.keys.misses("decision")}
	if err := recordMissScript.Run(ctx, s.client, keys, query, decision, s.now().UnixNano()).Err(); err != nil {
		return unavailable("record miss", err)
	}
	return nil
}

// Misses implements store.Misses: most asked first, the most recently
// asked first among equals. With a limit it reads the top of the count
// ranking plus every query tied with the last one, not the whole set.
func (s *Store) Misses(ctx context.Context, limit int) ([]store.Miss, error) {
	countKey := s.keys.misses("count")
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit - 1)
	}
	top, err := s.client.ZRevRangeWithScores(ctx, countKey, 0, stop).Result()
	if err != nil {
		return nil, unavailable("read misses", err)
	}
	if limit > 0 && len(top) == limit {
		edge := strconv.FormatFloat(top[len(top)-1].Score, 'f', -1, 64)
		tied, err := s.client.ZRangeByScoreWithScores(ctx, countKey, &goredis.ZRangeBy{Min: edge, Max: edge}).Result()
		if err != nil {
			return nil, unavailable("read misses", err)
		}
		seen := make(map[string]bool, len(top))
		for _, z := range top {
			seen[z.Member.(string)] = true
		}
		for _, z := range tied {
			if !seen[z.Member.(string)] {
				top = append(top, z)
			}
		}
	}
	if len(top) == 0 {
		return nil, nil
	}
	queries := make([]string, len(top))
	for i, z := range top {
		queries[i] = z.Member.(string)
	}
	pipe := s.client.Pipeline()
	first := pipe.HMGet(ctx, s.keys.misses("first"), queries...)
	last := pipe.HMGet(ctx, s.keys.misses("last"), queries...)
	decision := pipe.HMGet(ctx, s.keys.misses("decision"), queries...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable("read misses", err)
	}
	out := make([]store.Miss, len(top))
	for i, z := range top {
		d, _ := decision.Val()[i].(string)
		out[i] = store.Miss{
			Query:    queries[i],
			Decision: d,
			Count:    int64(z.Score),
			First:    time.Unix(0, parseInt(first.Val()[i])),
			Last:     time.Unix(0, parseInt(last.Val()[i])),
		}
	}
	slices.SortFunc(out, func(a, b store.Miss) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.Last.Compare(a.Last)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
