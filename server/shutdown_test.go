package server_test

import (
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
)

// TestShutdownClosesEverything: a graceful shutdown tells every widget to go
// away (1001) and leaves no goroutine of the server behind.
func TestShutdownClosesEverything(t *testing.T) {
	sharedParser(t)
	before := runtime.NumGoroutine()

	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data"},
		server.Options{Logger: slog.New(slog.DiscardHandler), Segmenter: sharedSegmenter(t), Parser: sharedParser(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var clients []*widgettest.Client
	for i := 0; i < 3; i++ {
		c := widgettest.Dial(t, baseURL(srv))
		c.Hello("", 0)
		c.Next(wait)
		clients = append(clients, c)
	}
	stopTestServer(t, srv)
	for i, c := range clients {
		if _, err := c.Read(wait); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("client %d got %v, want close 1001", i, err)
		}
		c.Conn.Close()
	}
	eventually(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines after shutdown, %d before start", n, before)
		}
		return nil
	})
}
