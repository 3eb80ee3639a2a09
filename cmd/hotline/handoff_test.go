package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/redistest"
)

// TestHandoffAcrossInstances: the citizen on one `hotline serve` process,
// the agent on another, one Redis between them; the agent account is
// created with `hotline agent add` on the same Redis while both run.
func TestHandoffAcrossInstances(t *testing.T) {
	url, _ := scaleOutRedis(t)
	prefix := redistest.Prefix(t, url, "scaleout")
	in := startInstances(t, url, prefix, "A", "B")

	add := exec.Command(binary, "agent", "add", "--kb", "../../kb-data", "--redis", url, "--redis-prefix", prefix,
		"--user", "li", "--name", "李丽", "--skills", "housing", "--password-stdin")
	add.Stdin = strings.NewReader("correct horse 12345\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("hotline agent add: %v\n%s", err, out)
	}
	agenttest.HandOff(t, in[0].base, in[1].base, "li", "correct horse 12345")
}

// TestHandoffEmbeddedProcess: the same on one process with the embedded
// store; the account is added through the control socket while the
// server holds the store file.
func TestHandoffEmbeddedProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real process")
	}
	dir := t.TempDir()
	_, base := startProcess(t, dir)
	add := exec.Command(binary, "agent", "add", "--kb", "../../kb-data", "--data", dir,
		"--user", "li", "--name", "李丽", "--skills", "housing", "--password-stdin")
	add.Stdin = strings.NewReader("correct horse 12345\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("hotline agent add: %v\n%s", err, out)
	}
	agenttest.HandOff(t, base, base, "li", "correct horse 12345")
}
