package redis

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/internal/testwait"
)

// testURL is the Redis the tests use: HOTLINE_TEST_REDIS. Without it the
// test is skipped, unless HOTLINE_REQUIRE_REDIS=1 (CI), where it fails.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HOTLINE_TEST_REDIS")
	if u == "" {
		if os.Getenv("HOTLINE_REQUIRE_REDIS") == "1" {
			t.Fatal("HOTLINE_REQUIRE_REDIS=1 but HOTLINE_TEST_REDIS is unset: set it to a Redis the tests may write to, e.g. redis://127.0.0.1:6379/15")
		}
		t.Skip("Redis store tests need a Redis: set HOTLINE_TEST_REDIS, e.g. HOTLINE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	return u
}

// uniquePrefix is a fresh key prefix: tests run in parallel on one Redis
// without seeing each other's keys.
func uniquePrefix() string { return "hotline-test:" + newToken()[:12] + ":" }

// rawClient is a plain client on the test Redis, closed with the test.
func rawClient(t testing.TB, url string) goredis.UniversalClient {
	t.Helper()
	opts, err := ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewUniversalClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// dropPrefix deletes every key under prefix when the test ends.
func dropPrefix(t testing.TB, url, prefix string) {
	t.Helper()
	c := rawClient(t, url)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				c.Del(ctx, batch...)
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			c.Del(ctx, batch...)
		}
		if err := iter.Err(); err != nil {
			t.Logf("cleaning up keys %s*: %v", prefix, err)
		}
	})
}

// openStore opens a store on url under prefix, closed with the test. The
// caller arranges for the keys to be dropped (dropPrefix).
func openStore(t testing.TB, url, prefix string, edit ...func(*Config)) *Store {
	t.Helper()
	cfg := Config{URL: url, Prefix: prefix}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a store on the test Redis under a fresh prefix.
func newStore(t testing.TB, edit ...func(*Config)) *Store {
	t.Helper()
	url := testURL(t)
	prefix := uniquePrefix()
	dropPrefix(t, url, prefix)
	return openStore(t, url, prefix, edit...)
}

// withQuery adds a query option to a URL.
func withQuery(url, kv string) string {
	if strings.Contains(url, "?") {
		return url + "&" + kv
	}
	return url + "?" + kv
}

// eventually polls fn until it returns nil, failing the test at timeout.
var eventually = testwait.Until

// proxy is a TCP proxy in front of Redis that a test can cut and restore
// on the same port, standing in for an outage of Redis or of the network.
type proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target, addr: "127.0.0.1:0", conns: make(map[net.Conn]struct{})}
	if err := p.listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) listen() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns[in], p.conns[out] = struct{}{}, struct{}{}
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				defer p.wg.Done()
				io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			p.wg.Add(2)
			go pipe(in, out)
			go pipe(out, in)
		}
	}()
	return nil
}

// stop closes the listener and every connection: clients see resets and
// refused connections until restart.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// restart listens again on the same address.
func (p *proxy) restart(t *testing.T) {
	t.Helper()
	eventually(t, 5*time.Second, p.listen)
}
