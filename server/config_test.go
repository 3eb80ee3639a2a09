package server_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/server"
)

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "hotline.yaml")
	os.WriteFile(file, []byte("addr: \":7000\"\ndata: /from/yaml\nkb: /kb/yaml\nallowed_origins:\n  - https://www.example.gov.cn\n  - https://m.example.gov.cn\nshutdown_timeout: 3s\n"), 0o600)
	env := map[string]string{
		"HOTLINE_CONFIG": file,
		"HOTLINE_DATA":   "/from/env",
		"HOTLINE_KB":     "/kb/env",
	}
	cfg, err := server.LoadConfig("test", []string{"--kb", "/kb/flag"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := server.Config{
		Addr:            ":7000",     // YAML over the default
		DataDir:         "/from/env", // environment over YAML
		KBDir:           "/kb/flag",  // flag over environment
		AllowedOrigins:  []string{"https://www.example.gov.cn", "https://m.example.gov.cn"},
		LogLevel:        "info", // default
		LogFormat:       "text",
		ShutdownTimeout: 3 * time.Second,
	}
	if cfg.Addr != want.Addr || cfg.DataDir != want.DataDir || cfg.KBDir != want.KBDir ||
		!slices.Equal(cfg.AllowedOrigins, want.AllowedOrigins) || cfg.LogLevel != want.LogLevel ||
		cfg.ShutdownTimeout != want.ShutdownTimeout {
		t.Errorf("LoadConfig = %+v\nwant %+v", cfg, want)
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := server.LoadConfig("test", nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.DataDir != "./data" || cfg.KBDir != "./kb-data" {
		t.Errorf("defaults = %+v, want :8080, ./data, ./kb-data", cfg)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("adress: \":80\"\n"), 0o600)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("addr: [\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown YAML key", []string{"--config", unknown}, nil, "unknown settings: adress"},
		{"broken YAML", []string{"--config", broken}, nil, "broken.yaml"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, nil, "nope.yaml"},
		{"bad duration in env", nil, map[string]string{"HOTLINE_SHUTDOWN_TIMEOUT": "soon"}, "HOTLINE_SHUTDOWN_TIMEOUT"},
		{"bad log level flag", []string{"--log-level", "loud"}, nil, "log_level"},
		{"bad origin", []string{"--allowed-origins", "example.gov.cn"}, nil, "allowed_origins"},
		{"stray argument", []string{"now"}, nil, "unexpected arguments"},
		{"unknown flag", []string{"--port", "80"}, nil, "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.LoadConfig("test", tt.args, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestREADMEListsEverySetting keeps the README's configuration table true.
func TestREADMEListsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range server.Settings {
		row := "| `--" + s.Flag() + "` | `" + s.Env + "` | `" + s.Key + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README lacks the row starting %q", row)
		}
	}
}
