package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var (
	_ store.Keys     = (*Store)(nil)
	_ store.Counters = (*Store)(nil)
)

// Keys and counters are plain Redis strings; Redis expires them itself.

// addKeyScript stores a value unless the key exists, and returns what is
// there otherwise: the check and the write are one step. (SET NX GET does
// the same from Redis 7.0 on; hotline supports Redis 6.)
// KEYS: key. ARGV: value, TTL (ms, 0 for none).
// Returns {1} when it stored the value, {0, current} when not.
var addKeyScript = goredis.NewScript(`
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return {1}
`)

// incrementScript adds to a counter, and sets the expiry only when this
// call created it.
// KEYS: counter. ARGV: delta, TTL (ms, 0 for none). Returns the new value.
var incrementScript = goredis.NewScript(`
local created = redis.call('EXISTS', KEYS[1]) == 0
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`)

// SetKey implements store.Keys.
func (s *Store) SetKey(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkName("key", key, ttl); err != nil {
		return err
	}
	ttl = time.Duration(ttlMillis(ttl)) * time.Millisecond
	if err := s.client.Set(ctx, s.keys.key(key), value, ttl).Err(); err != nil {
		return unavailable("set key", err)
	}
	return nil
}

// AddKey implements store.Keys.
func (s *Store) AddKey(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, []byte, error) {
	if err := checkName("key", key, ttl); err != nil {
		return false, nil, err
	}
	res, err := addKeyScript.Run(ctx, s.client, []string{s.keys.key(key)}, value, ttlMillis(ttl)).Slice()
	if err != nil {
		return false, nil, unavailable("add key", err)
	}
	if parseInt(res[0]) == 1 {
		return true, nil, nil
	}
	current, _ := res[1].(string)
	return false, []byte(current), nil
}

// Key implements store.Keys.
func (s *Store) Key(ctx context.Context, key string) ([]byte, error) {
	v, err := s.client.Get(ctx, s.keys.key(key)).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, store.ErrNotFound
	case err != nil:
		return nil, unavailable("read key", err)
	}
	return v, nil
}

// DeleteKey implements store.Keys.
func (s *Store) DeleteKey(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.keys.key(key)).Err(); err != nil {
		return unavailable("delete key", err)
	}
	return nil
}

// Increment implements store.Counters.
func (s *Store) Increment(ctx context.Context, name string, delta int64, ttl time.Duration) (int64, error) {
	if err := checkName("counter", name, ttl); err != nil {
		return 0, err
	}
	n, err := incrementScript.Run(ctx, s.client, []string{s.keys.counter(name)}, delta, ttlMillis(ttl)).Int64()
	if err != nil {
		return 0, unavailable("increment counter", err)
	}
	return n, nil
}

// Counter implements store.Counters.
func (s *Store) Counter(ctx context.Context, name string) (int64, error) {
	n, err := s.client.Get(ctx, s.keys.counter(name)).Int64()
	switch {
	case errors.Is(err, goredis.Nil):
		return 0, nil
	case err != nil:
		return 0, unavailable("read counter", err)
	}
	return n, nil
}

// checkName rejects an empty name and a negative TTL (go-redis would turn
// some negative TTLs into KEEPTTL), as the embedded backend does.
func checkName(what, name string, ttl time.Duration) error {
	if name == "" {
		return fmt.Errorf("redis: empty %s name", what)
	}
	if ttl < 0 {
		return fmt.Errorf("redis: %s: negative TTL %v", what, ttl)
	}
	return nil
}

// ttlMillis is ttl for PX and PEXPIRE: whole milliseconds, at least 1 for
// a positive ttl; 0 for none.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return max(ttl.Milliseconds(), 1)
}
