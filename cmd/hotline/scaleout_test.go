package main

// Scale-out on Redis, end to end: real `hotline serve` processes sharing
// one Redis, real widget connections, real process and Redis failures.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hotline12345/hotline/internal/redistest"
	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/internal/widgettest"
	redisstore "github.com/hotline12345/hotline/store/redis"
)

// scaleOutRedis returns the shared test Redis (HOTLINE_TEST_REDIS) and the
// path of redis-server (the outage tests run their own), or skips the
// test; with HOTLINE_REQUIRE_REDIS=1 a missing one fails it instead.
func scaleOutRedis(t *testing.T) (url, server string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	missing := func(what string) {
		if os.Getenv("HOTLINE_REQUIRE_REDIS") == "1" {
			t.Fatalf("HOTLINE_REQUIRE_REDIS=1 but %s", what)
		}
		t.Skipf("scale-out tests skipped: %s (install redis-server and set HOTLINE_TEST_REDIS=redis://127.0.0.1:6379/15)", what)
	}
	url = os.Getenv("HOTLINE_TEST_REDIS")
	if url == "" {
		missing("HOTLINE_TEST_REDIS is unset")
	}
	server, err := exec.LookPath("redis-server")
	if err != nil {
		missing("redis-server is not on PATH")
	}
	return url, server
}

// uniquePrefix keeps a test's keys apart from every other test's.
func uniquePrefix(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "hotline-scaleout-" + hex.EncodeToString(b[:]) + ":"
}

// instance is one `hotline serve` process.
type instance struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port

	mu  sync.Mutex
	log []string // the last lines it logged, shown when the test fails
}

// startInstances starts `hotline serve` processes on redisURL under prefix,
// all at once (each loads the dictionary for seconds), and waits until
// each is ready.
func startInstances(t *testing.T, redisURL, prefix string, names ...string) []*instance {
	t.Helper()
	var (
		out   []*instance
		ready []chan string
	)
	for _, name := range names {
		in := &instance{name: name}
		in.cmd = exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--kb", "../../kb-data",
			"--redis", redisURL, "--redis-prefix", prefix)
		stderr, err := in.cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := in.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			in.cmd.Process.Kill()
			in.cmd.Wait()
			if t.Failed() {
				in.mu.Lock()
				t.Logf("last log lines of instance %s:\n%s", in.name, strings.Join(in.log, "\n"))
				in.mu.Unlock()
			}
		})
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				line := sc.Text()
				in.mu.Lock()
				if in.log = append(in.log, line); len(in.log) > 60 {
					in.log = in.log[1:]
				}
				in.mu.Unlock()
				if m := readyLine.FindStringSubmatch(line); m != nil {
					found <- strings.TrimSuffix(m[1], "/")
				}
			}
		}()
		out, ready = append(out, in), append(ready, found)
	}
	start := time.Now()
	defer func() { t.Logf("instances %v ready in %v", names, time.Since(start).Round(time.Millisecond)) }()
	deadline := time.After(120 * time.Second)
	for i, in := range out {
		select {
		case in.base = <-ready[i]:
		case <-deadline:
			t.Fatalf("instance %s did not log its ready line", in.name)
		}
	}
	return out
}

// kill9 kills the instance as a crash would.
func (in *instance) kill9(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	in.cmd.Wait()
}

// readyz returns the status of GET /readyz.
func (in *instance) readyz() int {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(in.base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitReady polls /readyz until it answers want.
func waitReady(t *testing.T, want int, instances ...*instance) {
	t.Helper()
	for _, in := range instances {
		eventually(t, 30*time.Second, func() error {
			if got := in.readyz(); got != want {
				return fmt.Errorf("instance %s: /readyz = %d, want %d", in.name, got, want)
			}
			return nil
		})
	}
}

// eventually polls fn until it returns nil, failing the test at timeout.
var eventually = testwait.Until

// redisServer is a redis-server of the test's own, which it stops and
// restarts on the same port and directory.
type redisServer struct {
	path string
	args []string
	url  string
	cmd  *exec.Cmd
}

// startRedisServer runs redis-server on a spare port; persistence is the
// extra arguments ("--appendonly", "yes", …), none by default.
func startRedisServer(t *testing.T, path string, persistence ...string) *redisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}
	r := &redisServer{path: path, args: append(args, persistence...), url: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	r.start(t)
	t.Cleanup(func() { r.signal(t, syscall.SIGKILL) })
	return r
}

func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command(r.path, r.args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	opts, _ := redisstore.ParseURL(r.url)
	c := goredis.NewUniversalClient(opts)
	defer c.Close()
	eventually(t, 20*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() // LOADING while it reads its append-only file
	})
}

// signal stops the server with sig and waits until it has exited.
func (r *redisServer) signal(t *testing.T, sig syscall.Signal) {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Signal(sig)
	r.cmd.Wait()
	r.cmd = nil
}

// transcript collects the message frames a widget connection received.
type transcript struct {
	t      *testing.T
	frames []widgettest.Frame
}

// add records message frames and fails on a seq out of order or seen twice.
func (tr *transcript) add(frames []widgettest.Frame) {
	tr.t.Helper()
	for _, f := range widgettest.Messages(frames) {
		if n := len(tr.frames); n > 0 && f.Seq != tr.frames[n-1].Seq+1 {
			tr.t.Fatalf("message seq %d after %d: a gap, a duplicate or out of order (%+v)", f.Seq, tr.frames[n-1].Seq, tr.frames)
		}
		tr.frames = append(tr.frames, f)
	}
}

func (tr *transcript) last() int64 {
	if len(tr.frames) == 0 {
		return 0
	}
	return tr.frames[len(tr.frames)-1].Seq
}

// TestScaleOutInstanceDies: a widget talks to instance A; A is killed with
// SIGKILL; the widget reconnects to B (as a load balancer would send it)
// and resumes with its token and the last seq it saw: it gets exactly the
// messages it missed, in order, none twice, and the conversation goes on
// on B.
func TestScaleOutInstanceDies(t *testing.T) {
	url, _ := scaleOutRedis(t)
	prefix := redistest.Prefix(t, url, "scaleout")
	in := startInstances(t, url, prefix, "A", "B")
	a, b := in[0], in[1]

	c := widgettest.Dial(t, a.base)
	c.Hello("", 0)
	onA := &transcript{t: t}
	onA.add([]widgettest.Frame{c.Next(10 * time.Second)}) // welcome, seq 1
	c.Ask("q1", "社保卡丢了怎么办")
	onA.add(c.BotReplyTo(20*time.Second, "社保卡丢了怎么办"))
	seen := onA.last() // what the page had shown when A died

	// The page sends another question; its answer is written on A, but the
	// page never shows it: A dies first.
	c.Ask("q2", "租房可以提取住房公积金吗")
	missed := &transcript{t: t}
	missed.add(c.BotReplyTo(20*time.Second, "租房可以提取住房公积金吗"))
	a.kill9(t)
	killed := time.Now()

	c2 := widgettest.Dial(t, b.base)
	if s := c2.Hello(c.Token, seen); s.Conversation != c.Conversation {
		t.Fatalf("resumed on B into conversation %s, want %s", s.Conversation, c.Conversation)
	}
	onB := &transcript{t: t}
	onB.frames = append(onB.frames, onA.frames...)
	want := missed.last()
	onB.add(c2.Until(20*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.Seq >= want }))
	replayed := onB.frames[len(onA.frames):]
	if len(replayed) != len(missed.frames) {
		t.Fatalf("B replayed %+v, want exactly the missed %+v", replayed, missed.frames)
	}
	for i, f := range replayed {
		if f.Seq != missed.frames[i].Seq || f.Text != missed.frames[i].Text || f.From != missed.frames[i].From {
			t.Errorf("replayed #%d = %+v, want %+v", i, f, missed.frames[i])
		}
	}

	t.Logf("resumed on B %v after A was killed", time.Since(killed).Round(time.Millisecond))
	defer func() {
		t.Logf("conversation went on on B; %v since the kill", time.Since(killed).Round(time.Millisecond))
	}()

	// The conversation goes on on B: numbering continues, nothing twice.
	// (If A died between sending its answer and unlocking, B waits for the
	// conversation's lock to expire: up to the 10 s lock TTL.)
	c2.Ask("q3", "离职以后住房公积金能取出来吗")
	onB.add(c2.BotReplyTo(40*time.Second, "离职以后住房公积金能取出来吗"))
	if got := onB.frames[len(onA.frames)+len(missed.frames)]; got.Seq != want+1 || got.Text != "离职以后住房公积金能取出来吗" {
		t.Errorf("first message on B = %+v, want the question as seq %d", got, want+1)
	}
}

// TestScaleOutSameConversationOnBothInstances: two widget connections with
// the same token, one on each instance, send messages at the same time.
// The instances handle them one at a time (each question is followed by
// its answer before the next question), the sequence numbers have no gaps
// or duplicates, and each connection sees every message exactly once.
func TestScaleOutSameConversationOnBothInstances(t *testing.T) {
	url, _ := scaleOutRedis(t)
	prefix := redistest.Prefix(t, url, "scaleout")
	in := startInstances(t, url, prefix, "A", "B")

	c1 := widgettest.Dial(t, in[0].base)
	c1.Hello("", 0)
	seen1 := &transcript{t: t}
	seen1.add([]widgettest.Frame{c1.Next(10 * time.Second)})
	c2 := widgettest.Dial(t, in[1].base)
	c2.Hello(c1.Token, seen1.last())
	seen2 := &transcript{t: t}
	seen2.frames = append(seen2.frames, seen1.frames...)

	questions := map[string]string{
		"a1": "社保卡丢了怎么办", "b1": "租房可以提取住房公积金吗",
		"a2": "新领的社保卡怎么激活", "b2": "无犯罪记录证明怎么开",
		"a3": "灵活就业人员怎么参加社保", "b3": "买房后怎么提取住房公积金",
	}
	// Sent back to back on both connections: they reach A and B together.
	for i := 1; i <= 3; i++ {
		c1.Ask(fmt.Sprint("a", i), questions[fmt.Sprint("a", i)])
		c2.Ask(fmt.Sprint("b", i), questions[fmt.Sprint("b", i)])
	}
	acked := func(c *widgettest.Client, tr *transcript, prefix string) {
		t.Helper()
		got := map[string]bool{}
		tr.add(c.Until(60*time.Second, func(f widgettest.Frame) bool {
			if f.Type == "error" {
				t.Fatalf("error frame %+v", f)
			}
			if f.Type == "ack" && strings.HasPrefix(f.ID, prefix) {
				got[f.ID] = true
			}
			return len(got) == 3
		}))
	}
	acked(c1, seen1, "a")
	acked(c2, seen2, "b")
	// Handled after every message above, whose answers are then stored.
	c1.Ask("end", "谢谢")
	seen1.add(c1.BotReplyTo(60*time.Second, "谢谢"))
	final := seen1.last()
	seen2.add(c2.Until(30*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.Seq >= final }))

	for name, tr := range map[string]*transcript{"A": seen1, "B": seen2} {
		if tr.frames[0].Seq != 1 || tr.last() != final || len(tr.frames) != int(final) {
			t.Errorf("connection on %s saw seqs %d..%d (%d messages), want 1..%d each once", name, tr.frames[0].Seq, tr.last(), len(tr.frames), final)
		}
	}
	for i, f := range seen1.frames {
		if g := seen2.frames[i]; g.Seq != f.Seq || g.Text != f.Text {
			t.Errorf("seq %d differs between the connections: %+v vs %+v", f.Seq, f, g)
		}
	}
	count := map[string]int{}
	for i, f := range seen1.frames {
		if f.From != "citizen" {
			continue
		}
		count[f.Text]++
		if i+1 >= len(seen1.frames) || seen1.frames[i+1].From == "citizen" {
			t.Errorf("question %q (seq %d) not followed by its answer: messages handled at once? %+v", f.Text, f.Seq, seen1.frames)
		}
	}
	for id, q := range questions {
		if count[q] != 1 {
			t.Errorf("question %s %q stored %d times, want 1", id, q, count[q])
		}
	}
}

// TestScaleOutRedisOutage: Redis stops while messages arrive. /readyz turns
// 503, a message gets a retryable "unavailable" error frame instead of
// being dropped silently, and nothing acknowledged is lost; when Redis is
// back on the same port, the same processes carry on without a restart.
//
// The test's own Redis writes an append-only file (everysec) and is
// stopped with SIGTERM, which flushes it: without persistence a restarted
// Redis is empty, and nothing could survive (docs/DEPLOYING.md).
func TestScaleOutRedisOutage(t *testing.T) {
	_, server := scaleOutRedis(t)
	rs := startRedisServer(t, server, "--appendonly", "yes", "--appendfsync", "everysec")
	in := startInstances(t, rs.url, uniquePrefix(t), "A", "B")
	a, b := in[0], in[1]
	waitReady(t, http.StatusOK, a, b)

	c := widgettest.Dial(t, a.base)
	c.Hello("", 0)
	var frames []widgettest.Frame
	frames = append(frames, c.Next(10*time.Second))
	c.Ask("q1", "社保卡丢了怎么办")
	frames = append(frames, c.BotReplyTo(20*time.Second, "社保卡丢了怎么办")...)

	// A question arrives as Redis stops: it is acknowledged and answered
	// before, or refused with a retryable error — never silently dropped.
	c.Ask("q2", "租房可以提取住房公积金吗")
	rs.signal(t, syscall.SIGTERM)
	retry := map[string]string{}
	outcome := func(id, text string) {
		t.Helper()
		ackedAt := -1
		got := c.Until(30*time.Second, func(f widgettest.Frame) bool {
			switch {
			case f.Type == "error" && f.ID == id:
				if f.Code != "unavailable" || !f.Temporary {
					t.Fatalf("error frame %+v, want code unavailable, temporary", f)
				}
				retry[id] = text
				return true
			case f.Type == "ack" && f.ID == id:
				ackedAt = 0
			case ackedAt >= 0 && f.Type == "message" && f.From == "bot":
				return true // answered before Redis went
			}
			return false
		})
		frames = append(frames, got...)
	}
	outcome("q2", "租房可以提取住房公积金吗")
	_, refused := retry["q2"]
	t.Logf("the question sent as Redis stopped was refused: %v", refused)

	waitReady(t, http.StatusServiceUnavailable, a, b)
	c.Ask("q3", "无犯罪记录证明怎么开")
	outcome("q3", "无犯罪记录证明怎么开")
	if _, ok := retry["q3"]; !ok {
		t.Fatal("a message sent while Redis is down was not refused with an error frame")
	}

	rs.start(t) // same port, same directory
	waitReady(t, http.StatusOK, a, b)

	// The same processes carry on: the refused messages, sent again with
	// the same ids, are stored once and answered, on the same connection.
	for _, id := range []string{"q2", "q3"} {
		text, ok := retry[id]
		if !ok {
			continue
		}
		// The instance may still be finding its way back (a lock left
		// behind by a handling cut short expires): retry until acknowledged.
		eventually(t, 60*time.Second, func() error {
			c.Ask(id, text)
			var ferr error
			frames = append(frames, c.Until(30*time.Second, func(f widgettest.Frame) bool {
				if f.ID == id && (f.Type == "ack" || f.Type == "error") {
					if f.Type == "error" {
						ferr = fmt.Errorf("%s refused again: %+v", id, f)
					}
					return true
				}
				return false
			})...)
			return ferr
		})
		frames = answered(t, c, frames, text)
	}

	// A page resuming on B gets the whole conversation: everything
	// acknowledged, each once, numbered without gaps.
	c2 := widgettest.Dial(t, b.base)
	c2.Hello(c.Token, 0)
	last := int64(0)
	for _, f := range widgettest.Messages(frames) {
		last = max(last, f.Seq)
	}
	all := &transcript{t: t}
	all.add(c2.Until(30*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.Seq >= last }))
	count := map[string]int{}
	for _, f := range all.frames {
		if f.From == "citizen" {
			count[f.Text]++
		}
	}
	for _, q := range []string{"社保卡丢了怎么办", "租房可以提取住房公积金吗", "无犯罪记录证明怎么开"} {
		if count[q] != 1 {
			t.Errorf("%q is %d times in the transcript, want once: %+v", q, count[q], all.frames)
		}
	}
	// And the connection that lived through the outage saw every message
	// once (the bus told its writer to catch up after reconnecting).
	seenOnA := map[int64]int{}
	for _, f := range widgettest.Messages(frames) {
		seenOnA[f.Seq]++
	}
	for seq := int64(1); seq <= last; seq++ {
		if seenOnA[seq] != 1 {
			t.Errorf("connection on A saw seq %d %d times, want once", seq, seenOnA[seq])
		}
	}
}

// answered reads frames from c, adding them to frames, until the citizen
// message text and the message after it (its answer: messages are handled
// one at a time) have both arrived, now or before.
func answered(t *testing.T, c *widgettest.Client, frames []widgettest.Frame, text string) []widgettest.Frame {
	t.Helper()
	done := func() bool {
		bySeq := map[int64]widgettest.Frame{}
		for _, f := range widgettest.Messages(frames) {
			bySeq[f.Seq] = f
		}
		for seq, f := range bySeq {
			if f.From == "citizen" && f.Text == text {
				next, ok := bySeq[seq+1]
				return ok && next.From != "citizen"
			}
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("no answer to %q within 30s; frames %+v", text, frames)
		}
		frames = append(frames, c.Next(time.Until(deadline)))
	}
	return frames
}

// TestScaleOutAcknowledgedSurvivesRedisCrash: with Redis persisting every
// write before answering (appendfsync always), a message acknowledged to
// the citizen survives Redis being killed (SIGKILL) and restarted.
func TestScaleOutAcknowledgedSurvivesRedisCrash(t *testing.T) {
	_, server := scaleOutRedis(t)
	rs := startRedisServer(t, server, "--appendonly", "yes", "--appendfsync", "always")
	a := startInstances(t, rs.url, uniquePrefix(t), "A")[0]

	c := widgettest.Dial(t, a.base)
	c.Hello("", 0)
	c.Next(10 * time.Second) // welcome, seq 1
	c.Ask("q1", "社保卡丢了怎么办")
	c.Until(20*time.Second, func(f widgettest.Frame) bool { return f.Type == "ack" && f.ID == "q1" })
	rs.signal(t, syscall.SIGKILL) // at once: the answer may be cut short
	rs.start(t)
	waitReady(t, http.StatusOK, a)

	c2 := widgettest.Dial(t, a.base)
	if s := c2.Hello(c.Token, 0); s.Conversation != c.Conversation {
		t.Fatalf("after the Redis restart the session resumed into %s, want %s", s.Conversation, c.Conversation)
	}
	got := &transcript{t: t}
	got.add(c2.Until(20*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.Seq >= 2 }))
	if q := got.frames[len(got.frames)-1]; q.Seq != 2 || q.From != "citizen" || q.Text != "社保卡丢了怎么办" {
		t.Fatalf("seq 2 after the restart = %+v, want the acknowledged question", q)
	}
	c2.Ask("q2", "谢谢")
	got.add(c2.BotReplyTo(40*time.Second, "谢谢"))
}

// TestServeRefusesBadRedis: a Redis URL that cannot be read, or a Redis
// that does not answer, stops `hotline serve` at start with an error that
// says so, without the password.
func TestServeRefusesBadRedis(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"not a Redis URL", "http://:s3cret@redis.internal:6379", "scheme"},
		{"unreachable", "redis://:s3cret@127.0.0.1:1/0", "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			args := []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--kb", "../../kb-data", "--redis", tt.url}
			code := run(context.Background(), args, nil, io.Discard, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("the password shows: %q", stderr.String())
			}
		})
	}
}
