// Package redistest gives tests the shared test Redis (HOTLINE_TEST_REDIS)
// under a key prefix of their own, removed when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/store/redis"
)

// URL returns HOTLINE_TEST_REDIS, or skips the test when it is unset; with
// HOTLINE_REQUIRE_REDIS=1 (CI) a missing Redis fails the test instead.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("HOTLINE_TEST_REDIS")
	if url == "" {
		if os.Getenv("HOTLINE_REQUIRE_REDIS") == "1" {
			t.Fatal("HOTLINE_REQUIRE_REDIS=1 but HOTLINE_TEST_REDIS is unset")
		}
		t.Skip("set HOTLINE_TEST_REDIS (e.g. redis://127.0.0.1:6379/15) to run the Redis tests")
	}
	return url
}

// Prefix returns a key prefix no other test uses, under name, and deletes
// every key under it when the test ends.
func Prefix(t testing.TB, url, name string) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "hotline-test:" + name + ":" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		c := goredis.NewUniversalClient(opts)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Logf("cleaning up %s*: %v", prefix, err)
		}
	})
	return prefix
}

// Open opens a store on url under prefix, closed when the test ends.
func Open(t testing.TB, url, prefix string) *redis.Store {
	t.Helper()
	s, err := redis.Open(context.Background(), redis.Config{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
