package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
)

// Core is the part of hotline that does not depend on HTTP: the store, the
// segmenter, the knowledge base and the bot. `hotline serve` puts channels
// in front of it; `hotline chat` talks to it directly.
type Core struct {
	Store     store.Store
	Segmenter *nlu.Segmenter
	KB        *knowledge.Base
	Bot       *dialog.Bot
}

// CoreConfig says where the core's parts come from.
type CoreConfig struct {
	DataDir string // the store file and the index live here
	KBDir   string // the knowledge base seed
	// Segmenter, when set, is used instead of loading one (loading takes
	// seconds and ~128 MiB: tests and tools share one).
	Segmenter  *nlu.Segmenter
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// IndexDirName is the search index's directory inside the data directory.
const IndexDirName = "index"

// OpenCore loads every part. The gse dictionary, the slowest part, loads
// while the store and the knowledge base files are read.
func OpenCore(ctx context.Context, cfg CoreConfig) (*Core, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	log := cfg.Logger
	type segResult struct {
		seg *nlu.Segmenter
		err error
	}
	segDone := make(chan segResult, 1)
	go func() {
		if cfg.Segmenter != nil {
			segDone <- segResult{seg: cfg.Segmenter}
			return
		}
		start := time.Now()
		seg, err := nlu.NewSegmenter(filepath.Join(cfg.KBDir, "dict.txt"))
		if err == nil {
			log.Info("segmenter loaded", "took", time.Since(start).Round(time.Millisecond))
		}
		segDone <- segResult{seg, err}
	}()

	entries, kbErr := knowledge.LoadDir(cfg.KBDir)
	st, stErr := embedded.Open(embedded.Config{Dir: cfg.DataDir})
	seg := <-segDone
	if err := errors.Join(kbErr, stErr, seg.err); err != nil {
		if st != nil {
			st.Close()
		}
		return nil, err
	}

	start := time.Now()
	kb, err := knowledge.Open(knowledge.Config{
		IndexDir:  filepath.Join(cfg.DataDir, IndexDirName),
		Segmenter: seg.seg,
	}, entries)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open knowledge base: %w", err)
	}
	log.Info("knowledge base ready", "entries", kb.Len(), "rebuilt", kb.Rebuilt(), "took", time.Since(start).Round(time.Millisecond))

	bot, err := dialog.New(dialog.Config{Store: st, Knowledge: kb, Logger: log, Registerer: cfg.Registerer})
	if err != nil {
		kb.Close()
		st.Close()
		return nil, err
	}
	return &Core{Store: st, Segmenter: seg.seg, KB: kb, Bot: bot}, nil
}

// Close closes the knowledge base and flushes and closes the store.
func (c *Core) Close() error {
	return errors.Join(c.KB.Close(), c.Store.Close())
}

// ensureDir makes sure the data directory can be created before any slow
// loading starts, so that a typo fails fast.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}
