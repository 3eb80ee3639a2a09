package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store"
)

var (
	_ store.Conversations = (*Store)(nil)
	_ store.Sessions      = (*Store)(nil)
)

// createScript stores a new conversation unless its id is taken.
// KEYS: meta. ARGV: conversation JSON, updated (unix ns). Returns 1, or 0
// when the id exists.
var createScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'seq', 0, 'ver', 0, 'updated', ARGV[2])
return 1
`)

// updateScript stores a changed conversation if nobody else changed it
// since it was read (ver unchanged); appends do not bump ver: they touch
// only seq and updated, which an update never writes.
// KEYS: meta. ARGV: ver read, conversation JSON, updated (unix ns).
// Returns the current seq, or -1 when ver changed (or the key is gone).
var updateScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'updated', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'ver', 1)
return tonumber(redis.call('HGET', KEYS[1], 'seq'))
`)

// maxUpdateTries bounds the optimistic retries of UpdateConversation.
// Updates of one conversation are rare and run under its lock, so a
// conflict at all is unusual.
const maxUpdateTries = 100

// CreateConversation implements store.Conversations.
func (s *Store) CreateConversation(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if c.ID == "" {
		return c, errors.New("redis: conversation id is required")
	}
	now := s.now()
	c.Created, c.Updated, c.LastSeq = now, now, 0
	data, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	created, err := createScript.Run(ctx, s.client, []string{s.keys.conv(c.ID, "meta")}, data, now.UnixNano()).Int()
	if err != nil {
		return c, unavailable("create conversation", err)
	}
	if created == 0 {
		return c, store.ErrExists
	}
	return c, nil
}

// Conversation implements store.Conversations.
func (s *Store) Conversation(ctx context.Context, id string) (store.Conversation, error) {
	c, _, err := s.readConversation(ctx, id)
	return c, err
}

// readConversation returns the conversation and the version an update
// must find unchanged.
func (s *Store) readConversation(ctx context.Context, id string) (store.Conversation, string, error) {
	var c store.Conversation
	vals, err := s.client.HMGet(ctx, s.keys.conv(id, "meta"), "json", "seq", "updated", "ver").Result()
	if err != nil {
		return c, "", unavailable("read conversation", err)
	}
	data, ok := vals[0].(string)
	if !ok {
		return c, "", store.ErrNotFound
	}
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return c, "", fmt.Errorf("redis: decode conversation %s: %w", id, err)
	}
	c.LastSeq = parseInt(vals[1])
	if ns := parseInt(vals[2]); ns != 0 {
		c.Updated = time.Unix(0, ns)
	}
	ver, _ := vals[3].(string)
	return c, ver, nil
}

// UpdateConversation implements store.Conversations: read, apply fn, and
// store the result if nobody changed the conversation meanwhile, else
// again. LastSeq is the store's: fn cannot change it.
func (s *Store) UpdateConversation(ctx context.Context, id string, fn func(*store.Conversation) error) (store.Conversation, error) {
	for range maxUpdateTries {
		c, ver, err := s.readConversation(ctx, id)
		if err != nil {
			return c, err
		}
		if err := fn(&c); err != nil {
			return c, err
		}
		c.ID = id
		c.Updated = s.now()
		data, err := json.Marshal(c)
		if err != nil {
			return c, err
		}
		seq, err := updateScript.Run(ctx, s.client, []string{s.keys.conv(id, "meta")}, ver, data, c.Updated.UnixNano()).Int64()
		if err != nil {
			return c, unavailable("update conversation", err)
		}
		if seq >= 0 {
			c.LastSeq = seq
			return c, nil
		}
		if err := ctx.Err(); err != nil {
			return c, err
		}
	}
	return store.Conversation{}, fmt.Errorf("redis: update conversation %s: %d conflicting updates in a row", id, maxUpdateTries)
}

// SaveSession implements store.Sessions.
func (s *Store) SaveSession(ctx context.Context, tokenHash, conversation string) error {
	if err := s.client.Set(ctx, s.keys.session(tokenHash), conversation, 0).Err(); err != nil {
		return unavailable("save session", err)
	}
	return nil
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, tokenHash string) (string, error) {
	conv, err := s.client.Get(ctx, s.keys.session(tokenHash)).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return "", store.ErrNotFound
	case err != nil:
		return "", unavailable("read session", err)
	}
	return conv, nil
}

// parseInt reads an integer that Redis returned as a string (or nothing).
func parseInt(v any) int64 {
	switch v := v.(type) {
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case int64:
		return v
	}
	return 0
}
