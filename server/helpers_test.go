package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/nlutest"
	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/server"
)

var (
	segOnce sync.Once
	segErr  error
	seg     *nlu.Segmenter
)

// sharedSegmenter loads the gse dictionary once per test binary: it takes
// seconds and ~128 MiB.
func sharedSegmenter(t testing.TB) *nlu.Segmenter {
	t.Helper()
	segOnce.Do(func() { seg, segErr = nlu.NewSegmenter("../kb-data/dict.txt") })
	if segErr != nil {
		t.Fatal(segErr)
	}
	return seg
}

// sharedParser loads the NLU models trained once for all test binaries.
func sharedParser(t testing.TB) *nlu.Parser { return nlutest.Parser(t, sharedSegmenter(t)) }

// startTestServer starts a real server on a random port with the data in
// dir and the repository's kb-data, and shuts it down at the end of the test.
func startTestServer(t testing.TB, dir string) *server.Server {
	t.Helper()
	return startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: dir, KBDir: "../kb-data"})
}

// startServerWith starts a real server with cfg, sharing the test binary's
// segmenter and NLU models, and shuts it down at the end of the test.
func startServerWith(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.DiscardHandler), Segmenter: sharedSegmenter(t), Parser: sharedParser(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopTestServer(t, srv) })
	return srv
}

func stopTestServer(t testing.TB, srv *server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx) // a second Shutdown is a no-op
}

func baseURL(srv *server.Server) string { return "http://" + srv.Addr() }

// eventually polls fn until it returns nil, failing the test at timeout.
var eventually = testwait.Until

var httpClient = &http.Client{Timeout: 10 * time.Second}
