package server

import (
	"log/slog"
	"os"
)

// NewLogger returns the process logger writing to stderr. Message texts and
// citizens' contact data are never logged by hotline's packages; the logs
// carry conversation ids and sequence numbers instead.
func NewLogger(level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by Config.Validate
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
