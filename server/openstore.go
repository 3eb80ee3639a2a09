package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/hotline12345/hotline/store"
)

// OpenStore opens the store cfg names, as `hotline serve` does, for the
// commands that work on a server's state (`hotline agent`). With the
// embedded store it fails with an error matching embedded.ErrLocked while a
// server holds the file; the command then uses the control socket.
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) {
	return openStore(ctx, CoreConfig{
		DataDir:     cfg.DataDir,
		RedisURL:    cfg.RedisURL,
		RedisPrefix: cfg.RedisPrefix,
		Logger:      slog.New(slog.DiscardHandler),
	})
}

// DepartmentCodes returns the codes of the department catalogue
// (kbDir/departments.yaml), the skills an agent may have.
func DepartmentCodes(kbDir string) (map[string]bool, error) {
	path := filepath.Join(kbDir, "departments.yaml")
	depts, err := loadDepartments(path)
	if err != nil {
		return nil, err
	}
	if len(depts) == 0 {
		return nil, fmt.Errorf("no department catalogue in %s (set --kb)", path)
	}
	codes := make(map[string]bool, len(depts))
	for _, d := range depts {
		codes[d.Code] = true
	}
	return codes, nil
}
