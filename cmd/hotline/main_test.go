package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/nlutest"
	"github.com/hotline12345/hotline/internal/widgettest"
)

// binary is the hotline command built once for the tests that run it as a
// separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hotline-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hotline")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build hotline: " + err.Error())
	}
	// Train the NLU models once, in this uninstrumented binary, into the
	// cache every test (and every serve process they start) loads from:
	// training under the race detector takes minutes.
	models := nlutest.CacheDir()
	train := exec.Command(binary, "nlu", "train", "--kb", "../../kb-data", "--cache", models)
	train.Stderr = os.Stderr
	if err := train.Run(); err != nil {
		panic("train NLU models: " + err.Error())
	}
	os.Setenv("HOTLINE_MODEL_DIR", models)
	// Agents serve around the clock in tests, whatever the hour they run.
	os.Setenv("HOTLINE_SERVICE_HOURS", "24h")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var readyLine = regexp.MustCompile(`open (http://\S+/) in a browser`)

// startProcess runs `hotline serve` on a random port with the data in dir
// and returns the process and its base URL, read from its ready log line.
func startProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--kb", "../../kb-data")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- strings.TrimSuffix(m[1], "/")
			}
		}
	}()
	select {
	case base := <-found:
		return cmd, base
	case <-time.After(90 * time.Second):
		t.Fatal("hotline serve did not log its ready line")
		return nil, ""
	}
}

// TestKill9Resume: the server process is killed with SIGKILL in the middle
// of a conversation; a new process on the same data directory gives the
// widget exactly what it missed, and everything acknowledged is there.
func TestKill9Resume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	proc, base := startProcess(t, dir)

	c := widgettest.Dial(t, base)
	c.Hello("", 0)
	c.Next(10 * time.Second) // welcome, seq 1
	c.Ask("q1", "社保卡丢了怎么办")
	answer := widgettest.Messages(c.BotReplyTo(10*time.Second, "社保卡丢了怎么办"))
	c.Ask("q2", "谢谢")
	c.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "ack" && f.ID == "q2" })

	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()

	_, base = startProcess(t, dir)
	c2 := widgettest.Dial(t, base)
	if s := c2.Hello(c.Token, 1); s.Conversation != c.Conversation {
		t.Fatalf("resumed into conversation %s, want %s", s.Conversation, c.Conversation)
	}
	// Seq 2 and 3 are the question and its answer; seq 4 is the
	// acknowledged 谢谢; its reply may or may not have been written before
	// the kill, and if not, the bot must not have lost the message.
	got := widgettest.Messages(c2.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Seq >= 4 }))
	if got[0].Seq != 2 || got[0].Text != "社保卡丢了怎么办" || got[1].Seq != 3 || got[1].Text != answer[len(answer)-1].Text {
		t.Fatalf("replayed %+v, want the question (2) and its answer (3)", got)
	}
	if got[2].Seq != 4 || got[2].Text != "谢谢" {
		t.Fatalf("seq 4 = %+v, want the acknowledged 谢谢", got[2])
	}
	c2.Ask("q3", "你好")
	frames := widgettest.Messages(c2.BotReplyTo(10*time.Second, "你好"))
	seen := map[int64]bool{2: true, 3: true, 4: true}
	for _, f := range frames {
		if seen[f.Seq] {
			t.Errorf("seq %d delivered twice", f.Seq)
		}
		seen[f.Seq] = true
	}
}

// TestServeRefusesBadConfig: a bad setting stops the command with a clear
// error before anything is opened.
func TestServeRefusesBadConfig(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--log-level", "loud"}, nil, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "log_level") {
		t.Errorf("exit %d, stderr %q; want 1 and a log_level error", code, stderr.String())
	}
	code = run(context.Background(), []string{"frobnicate"}, nil, io.Discard, &stderr)
	if code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

// TestChat talks to the bot in the terminal, picking an option by number.
func TestChat(t *testing.T) {
	var out, stderr bytes.Buffer
	in := strings.NewReader("社保卡丢了怎么办\n1\n")
	code := run(context.Background(), []string{"chat", "--kb", "../../kb-data"}, in, &out, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text := out.String()
	if !strings.Contains(text, "补办") {
		t.Errorf("chat output lacks the answer:\n%s", text)
	}
	if strings.Count(text, "【12345】") < 3 {
		t.Errorf("want welcome, answer and the answer to option 1:\n%s", text)
	}
}
