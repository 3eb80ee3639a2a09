// Package nlutest gives tests a trained nlu.Parser quickly. Training under
// the race detector takes minutes, so the models are trained once by an
// uninstrumented `hotline nlu train` process into a cache shared by every
// test binary, and loaded from there.
package nlutest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/hotline12345/hotline/nlu"
)

// CacheEnv names the shared model cache directory. Default: a directory
// under the system's temporary directory.
const CacheEnv = "HOTLINE_NLU_CACHE"

var (
	once   sync.Once
	parser *nlu.Parser
	err    error
)

// CacheDir is the shared model cache.
func CacheDir() string {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "hotline-nlu-test-models")
}

// Parser returns the parser for the repository's kb-data, trained once per
// cache and loaded once per test binary.
func Parser(tb testing.TB, seg *nlu.Segmenter) *nlu.Parser {
	tb.Helper()
	once.Do(func() { parser, err = load(seg) })
	if err != nil {
		tb.Fatal(err)
	}
	return parser
}

func load(seg *nlu.Segmenter) (*nlu.Parser, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cache := CacheDir()
	cfg := nlu.Config{KBDir: filepath.Join(root, "kb-data"), Segmenter: seg, CacheDir: cache, LoadOnly: true}
	p, err := nlu.NewParser(cfg)
	if !errors.Is(err, nlu.ErrNoModels) {
		return p, err
	}
	if err := os.MkdirAll(cache, 0o750); err != nil {
		return nil, err
	}
	// One trainer at a time across test binaries; the others wait and load.
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	if p, err := nlu.NewParser(cfg); !errors.Is(err, nlu.ErrNoModels) {
		return p, err
	}
	cmd := exec.Command("go", "run", "./cmd/hotline", "nlu", "train", "--kb", "kb-data", "--cache", cache)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New("nlutest: hotline nlu train: " + err.Error())
	}
	return nlu.NewParser(cfg)
}

// repoRoot finds the directory holding go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("nlutest: go.mod not found above the working directory")
		}
		dir = parent
	}
}
