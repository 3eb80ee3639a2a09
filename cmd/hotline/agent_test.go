package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store/embedded"
)

// agentRun runs `hotline agent …` with stdin and the cheapest bcrypt cost,
// and returns the exit code, stdout and stderr.
func agentRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cli := agentCLI{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, bcryptCost: bcrypt.MinCost}
	if err := cli.run(context.Background(), args); err != nil {
		fmt.Fprintf(&errOut, "hotline agent: %v\n", err)
		return 1, out.String(), errOut.String()
	}
	return 0, out.String(), errOut.String()
}

// TestAgentDispatch: `hotline agent` is a command of hotline, with the
// default bcrypt cost.
func TestAgentDispatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"agent", "add", "--data", dir, "--user", "li.na", "--name", "李娜", "--password-stdin"},
		strings.NewReader("a password\n"), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	a, err := openAccountsAt(t, dir).Get(context.Background(), "li.na")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("bcrypt cost %d, %v; want the default %d", cost, err, bcrypt.DefaultCost)
	}
	out.Reset()
	if code := run(context.Background(), []string{"agent"}, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "hotline agent add") {
		t.Errorf("bare `hotline agent`: exit %d, stderr %q; want 1 and the usage", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "hotline agent") {
		t.Errorf("hotline help does not list the agent commands:\n%s", out.String())
	}
}

// openAccountsAt opens the accounts of a stopped server's data directory.
func openAccountsAt(t *testing.T, dir string) *accounts.Service {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := accounts.New(accounts.Config{Store: st, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestAgentCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := agentRun(t, "first password\n", "add", "--data", dir, "--kb", "../../kb-data",
		"--user", "li.na", "--name", "李娜", "--skills", "social_security,housing", "--max-chats", "4", "--role", "supervisor", "--password-stdin")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "li.na") || !strings.Contains(out, "social_security,housing") {
		t.Errorf("add printed %q", out)
	}
	if code, _, errOut := agentRun(t, "x\n", "add", "--data", dir, "--user", "wang", "--name", "王伟", "--password-stdin"); code != 1 || !strings.Contains(errOut, "at least 8") {
		t.Errorf("short password: exit %d, %q", code, errOut)
	}
	if code, _, errOut := agentRun(t, "other password\n", "add", "--data", dir, "--user", "wang", "--name", "王伟", "--password-stdin"); code != 0 {
		t.Fatalf("add without skills: exit %d: %s", code, errOut)
	}

	code, out, errOut = agentRun(t, "", "list", "--data", dir)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "USERNAME") || !strings.Contains(lines[1], "李娜") ||
		!strings.Contains(lines[1], "supervisor") || !strings.Contains(lines[1], "active") || !strings.HasPrefix(lines[2], "wang") {
		t.Errorf("list printed:\n%s", out)
	}

	if code, _, errOut := agentRun(t, "second password\n", "passwd", "--data", dir, "--user", "li.na", "--password-stdin"); code != 0 {
		t.Fatalf("passwd: exit %d: %s", code, errOut)
	}
	if code, _, errOut := agentRun(t, "", "disable", "--data", dir, "--user", "wang"); code != 0 {
		t.Fatalf("disable: exit %d: %s", code, errOut)
	}
	code, out, _ = agentRun(t, "", "list", "--data", dir, "--json")
	var listed struct{ Agents []accounts.Agent }
	if err := json.Unmarshal([]byte(out), &listed); err != nil || code != 0 || len(listed.Agents) != 2 {
		t.Fatalf("list --json: exit %d, %q, %v", code, out, err)
	}
	if a := listed.Agents[0]; a.MaxChats != 4 || a.Role != accounts.RoleSupervisor || a.Generation != 2 || a.Disabled {
		t.Errorf("li.na listed as %+v; want 4 chats, supervisor, generation 2 after passwd", a)
	}
	if !listed.Agents[1].Disabled {
		t.Error("wang not listed as disabled")
	}
	if strings.Contains(out, "password_hash") || strings.Contains(out, "$2a$") {
		t.Errorf("list --json shows password hashes: %s", out)
	}
	if code, _, errOut := agentRun(t, "", "enable", "--data", dir, "--user", "wang"); code != 0 {
		t.Fatalf("enable: exit %d: %s", code, errOut)
	}

	svc := openAccountsAt(t, dir)
	ctx := context.Background()
	if _, _, err := svc.Login(ctx, "li.na", "second password"); err != nil {
		t.Errorf("login with the password set by passwd: %v", err)
	}
	if _, _, err := svc.Login(ctx, "wang", "other password"); err != nil {
		t.Errorf("login after enable: %v", err)
	}
}

func TestAgentCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errOut := agentRun(t, "first password\n", "add", "--data", dir, "--user", "li.na", "--name", "李娜", "--password-stdin"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string // in stderr
	}{
		{"unknown skill", "a password\n", []string{"add", "--kb", "../../kb-data", "--user", "wang", "--name", "王伟", "--skills", "traffic,cooking", "--password-stdin"}, `skill "cooking"`},
		{"skills without a catalogue", "a password\n", []string{"add", "--kb", t.TempDir(), "--user", "wang", "--name", "王伟", "--skills", "traffic", "--password-stdin"}, "departments.yaml"},
		{"taken username", "a password\n", []string{"add", "--user", "li.na", "--name", "李娜", "--password-stdin"}, "already exists"},
		{"no --user", "a password\n", []string{"add", "--name", "王伟", "--password-stdin"}, "--user is required"},
		{"no name", "a password\n", []string{"add", "--user", "wang", "--password-stdin"}, "name: required"},
		{"bad role", "a password\n", []string{"add", "--user", "wang", "--name", "王伟", "--role", "boss", "--password-stdin"}, `role "boss"`},
		{"max chats 0", "a password\n", []string{"add", "--user", "wang", "--name", "王伟", "--max-chats", "0", "--password-stdin"}, "--max-chats 0"},
		{"no password on stdin", "", []string{"add", "--user", "wang", "--name", "王伟", "--password-stdin"}, "no password"},
		{"stdin not a terminal", "a password\n", []string{"add", "--user", "wang", "--name", "王伟"}, "--password-stdin"},
		{"passwd of nobody", "a password\n", []string{"passwd", "--user", "nobody", "--password-stdin"}, "no such agent"},
		{"disable nobody", "", []string{"disable", "--user", "nobody"}, "no such agent"},
		{"unknown subcommand", "", []string{"remove", "--user", "li.na"}, `unknown agent command "remove"`},
		{"stray argument", "", []string{"list", "li.na"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := agentRun(t, tt.stdin, append(tt.args, "--data", dir)...)
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure mentioning %s", code, errOut, tt.want)
			}
		})
	}
	if _, _, err := openAccountsAt(t, dir).Login(context.Background(), "wang", "a password"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("an account was added by a failed command: %v", err)
	}
}

// TestAgentSettingsFromConfigFile: the store settings come from the YAML
// file (and the environment) as for serve.
func TestAgentSettingsFromConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(config, []byte("data: "+dir+"\nkb: ../../kb-data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := agentRun(t, "a password\n", "add", "--config", config, "--user", "li.na", "--name", "李娜", "--skills", "traffic", "--password-stdin"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	if a, err := openAccountsAt(t, dir).Get(context.Background(), "li.na"); err != nil || a.Skills[0] != "traffic" {
		t.Errorf("agent in the config file's data directory: %+v, %v", a, err)
	}
}

// TestAgentWhileServerHoldsStore: with a server holding the store file,
// the commands go over its control socket.
func TestAgentWhileServerHoldsStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	codes, err := server.DepartmentCodes("../../kb-data")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := accounts.New(accounts.Config{Store: st, BcryptCost: bcrypt.MinCost, ValidSkill: func(c string) bool { return codes[c] }})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := server.ListenControl(dir, svc.ControlHandler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	// No --kb: the server checks the skills against its own catalogue.
	code, _, errOut := agentRun(t, "a password\n", "add", "--data", dir, "--user", "li.na", "--name", "李娜", "--skills", "housing", "--password-stdin")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, server.ControlSocketName) {
		t.Errorf("stderr %q; want a note that the server is asked over the control socket", errOut)
	}
	a, err := svc.Get(context.Background(), "li.na")
	if err != nil || a.Name != "李娜" || a.Skills[0] != "housing" {
		t.Fatalf("agent added over the socket: %+v, %v", a, err)
	}
	if _, _, err := svc.Login(context.Background(), "li.na", "a password"); err != nil {
		t.Errorf("login: %v", err)
	}
	code, _, errOut = agentRun(t, "a password\n", "add", "--data", dir, "--user", "wang", "--name", "王伟", "--skills", "cooking", "--password-stdin")
	if code != 1 || !strings.Contains(errOut, `skill "cooking"`) {
		t.Errorf("unknown skill over the socket: exit %d, %q", code, errOut)
	}
	if code, _, errOut := agentRun(t, "", "disable", "--data", dir, "--user", "li.na"); code != 0 {
		t.Fatalf("disable: exit %d: %s", code, errOut)
	}
	code, out, _ := agentRun(t, "", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "disabled") {
		t.Errorf("list over the socket: exit %d:\n%s", code, out)
	}
	if code, _, errOut := agentRun(t, "", "enable", "--data", dir, "--user", "nobody"); code != 1 || !strings.Contains(errOut, "no such agent") {
		t.Errorf("enable nobody over the socket: exit %d, %q", code, errOut)
	}
}
