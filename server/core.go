package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
	redisstore "github.com/hotline12345/hotline/store/redis"
	"github.com/hotline12345/hotline/workorder"
)

// Core is the part of hotline that does not depend on HTTP: the store, the
// segmenter, the knowledge base and the bot. `hotline serve` puts channels
// in front of it; `hotline chat` talks to it directly.
type Core struct {
	Store     store.Store
	Segmenter *nlu.Segmenter
	Parser    *nlu.Parser
	KB        *knowledge.Base
	Bot       *dialog.Bot
	// Channels holds the senders of channels that push (WeChat); the bot
	// delivers through it.
	Channels *channels.Registry
	// WorkOrders keeps the appeals recorded for the departments.
	WorkOrders *workorder.Service

	editor *kbEditor
}

// CoreConfig says where the core's parts come from.
type CoreConfig struct {
	DataDir string // the store file and the index live here
	KBDir   string // the knowledge base seed
	// Segmenter, when set, is used instead of loading one (loading takes
	// seconds and ~128 MiB: tests and tools share one).
	Segmenter *nlu.Segmenter
	// Parser, when set, is used instead of loading or training the NLU
	// models (tests share one).
	Parser *nlu.Parser
	// ModelDir keeps the trained NLU models between starts (training takes
	// seconds); default DataDir/models. They are retrained when the corpus
	// or the dictionary changes.
	ModelDir   string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// RedisURL, when set, keeps the state in Redis (store/redis), shared
	// with every instance that uses the same URL and prefix; the data
	// directory then holds only what is derived from the knowledge base
	// (the search index). Empty: the embedded file.
	RedisURL    string
	RedisPrefix string // default "hotline:"
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

	st, err := openStore(ctx, cfg)
	var (
		entries []knowledge.Entry
		version int64
	)
	if err == nil {
		entries, version, err = CurrentKnowledge(ctx, cfg.KBDir, st)
	}
	seg := <-segDone
	if err := errors.Join(err, seg.err); err != nil {
		if st != nil {
			st.Close()
		}
		return nil, err
	}

	// The NLU models load (or train) while the index opens.
	type parserResult struct {
		p   *nlu.Parser
		err error
	}
	parserDone := make(chan parserResult, 1)
	go func() {
		if cfg.Parser != nil {
			parserDone <- parserResult{p: cfg.Parser}
			return
		}
		start := time.Now()
		p, err := nlu.NewParser(nlu.Config{
			KBDir:     cfg.KBDir,
			Segmenter: seg.seg,
			CacheDir:  cmp.Or(cfg.ModelDir, filepath.Join(cfg.DataDir, "models")),
		})
		if err == nil {
			log.Info("NLU models ready", "took", time.Since(start).Round(time.Millisecond))
		}
		parserDone <- parserResult{p, err}
	}()

	start := time.Now()
	synonyms, kbErr := knowledge.LoadSynonyms(filepath.Join(cfg.KBDir, "synonyms.yaml"))
	if errors.Is(kbErr, os.ErrNotExist) {
		synonyms, kbErr = nil, nil // a knowledge base without synonyms
	}
	var kb *knowledge.Base
	if kbErr == nil {
		kb, kbErr = knowledge.Open(knowledge.Config{
			IndexDir:  filepath.Join(cfg.DataDir, IndexDirName),
			Segmenter: seg.seg,
			Synonyms:  synonyms,
		}, entries)
	}
	parser := <-parserDone
	if err := errors.Join(kbErr, parser.err); err != nil {
		if kb != nil {
			kb.Close()
		}
		st.Close()
		return nil, fmt.Errorf("open knowledge base and NLU: %w", err)
	}
	log.Info("knowledge base ready", "entries", kb.Len(), "rebuilt", kb.Rebuilt(), "took", time.Since(start).Round(time.Millisecond))

	registry := channels.NewRegistry()
	bot, err := dialog.New(dialog.Config{Store: st, Knowledge: kb, NLU: parser.p, Channels: registry, Logger: log, Registerer: cfg.Registerer})
	if err != nil {
		kb.Close()
		st.Close()
		return nil, err
	}
	orders, err := OpenWorkOrders(cfg.KBDir, st, log, bot.OrderChanged)
	if err != nil {
		kb.Close()
		st.Close()
		return nil, err
	}
	bot.SetWorkOrders(orders)
	editor := &kbEditor{kb: kb, store: st, log: log, applied: version}
	return &Core{Store: st, Segmenter: seg.seg, Parser: parser.p, KB: kb, Bot: bot, Channels: registry,
		WorkOrders: orders, editor: editor}, nil
}

// openStore opens the backend the configuration names. A Redis that cannot
// be reached fails here, at start, with the (redacted) URL in the error.
func openStore(ctx context.Context, cfg CoreConfig) (store.Store, error) {
	if cfg.RedisURL == "" {
		st, err := embedded.Open(embedded.Config{Dir: cfg.DataDir})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := redisstore.Open(ctx, redisstore.Config{URL: cfg.RedisURL, Prefix: cfg.RedisPrefix, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("open the Redis store: %w", err)
	}
	cfg.Logger.Info("store: Redis", "url", redisstore.Redact(cfg.RedisURL), "prefix", cmp.Or(cfg.RedisPrefix, redisstore.DefaultPrefix))
	return st, nil
}

// CurrentKnowledge is the knowledge base as it stands: the seed in kbDir
// with the edits saved in the store applied, and the newest edit's version.
func CurrentKnowledge(ctx context.Context, kbDir string, st store.Knowledge) ([]knowledge.Entry, int64, error) {
	seed, err := knowledge.LoadDir(kbDir)
	if err != nil {
		return nil, 0, err
	}
	edits, err := st.KnowledgeEdits(ctx, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("read knowledge base edits: %w", err)
	}
	return mergeEdits(seed, edits)
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

// OpenWorkOrders builds the work orders on the store with the city's rules
// in kbDir: time limits, duplicates and hot issues from
// workorder/rules.yaml, counted in working days of the holiday calendar
// handoff/calendar.yaml.
// onChange, when set, hears every change (the bot tells citizens about
// finished orders).
func OpenWorkOrders(kbDir string, st workorder.Store, log *slog.Logger, onChange func(context.Context, workorder.WorkOrder, workorder.Change)) (*workorder.Service, error) {
	cal, err := handoff.LoadCalendar(filepath.Join(kbDir, "handoff", "calendar.yaml"))
	if err != nil {
		return nil, err
	}
	rules, err := workorder.LoadRules(filepath.Join(kbDir, "workorder", "rules.yaml"))
	if err != nil {
		return nil, err
	}
	return workorder.New(workorder.Config{Store: st, Calendar: cal, Logger: log, OnChange: onChange,
		Limits: rules.Limits, Similarity: rules.Similarity, DuplicateWindow: rules.DuplicateWindow,
		HotWindow: rules.HotWindow, HotMinOrders: rules.HotMinOrders})
}
