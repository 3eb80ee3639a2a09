package server_test

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/server"
)

// TestListenControl is not parallel: it checks that stop leaves no
// goroutine behind.
func TestListenControl(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "control "+r.URL.Path) })
	stop, err := server.ListenControl(dir, h, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, server.ControlSocketName)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v; want a socket with 0600", fi.Mode())
	}
	client := server.ControlClient(dir)
	resp, err := client.Get("http://hotline/agents")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "control /agents" {
		t.Errorf("answer %q", body)
	}
	if _, err := server.ListenControl(dir, h, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second ListenControl on a served socket: %v; want an error", err)
	}
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	eventually(t, 2*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines after stop, %d before", n, before)
		}
		return nil
	})
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file after stop: %v; want it removed", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left in the data directory: %v", entries)
	}
}

// TestListenControlStaleSocket: a socket file left by a server that died
// is replaced.
func TestListenControlStaleSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, server.ControlSocketName)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	stop, err := server.ListenControl(dir, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	defer stop()
	resp, err := server.ControlClient(dir).Get("http://hotline/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d; want the handler's 404", resp.StatusCode)
	}
}

// TestListenControlNotSocket: something else at the socket's path is left
// alone.
func TestListenControlNotSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, server.ControlSocketName)
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ListenControl(dir, http.NotFoundHandler(), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("ListenControl replaced a regular file")
	}
	if data, _ := os.ReadFile(path); string(data) != "keep me" {
		t.Errorf("file now %q", data)
	}
}
