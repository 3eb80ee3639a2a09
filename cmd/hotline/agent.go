package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store/embedded"
)

const agentUsage = `Usage:
  hotline agent add --user U --name N [--skills a,b] [--max-chats 3] [--role agent|supervisor|admin] [--password-stdin]
  hotline agent list [--json]
  hotline agent passwd --user U [--password-stdin]
  hotline agent disable|enable --user U

Every command also takes serve's store settings (--config, --data, --redis,
--redis-prefix, and --kb for the department codes of --skills), with the
same environment variables. It works whether or not a server runs on the
store: a server holding the data directory is asked over its control socket.
The password is asked on the terminal, or read from the first line of stdin
with --password-stdin.
`

// accountAdmin is what `hotline agent` needs of the accounts: the service
// on the store, or the control client of the server that holds the store.
type accountAdmin interface {
	Add(ctx context.Context, a accounts.Agent, password string) (accounts.Agent, error)
	List(ctx context.Context) ([]accounts.Agent, error)
	SetPassword(ctx context.Context, username, password string) error
	SetDisabled(ctx context.Context, username string, disabled bool) error
}

var (
	_ accountAdmin = (*accounts.Service)(nil)
	_ accountAdmin = (*accounts.ControlClient)(nil)
)

// agentCommand runs `hotline agent add|list|passwd|disable|enable`.
func agentCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return agentCLI{stdin: stdin, stdout: stdout, stderr: stderr}.run(ctx, args)
}

// agentCLI runs one `hotline agent` command.
type agentCLI struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// bcryptCost hashes the passwords set on a store opened here; zero
	// is bcrypt.DefaultCost. Tests lower it: one hash takes over a second
	// under the race detector.
	bcryptCost int
}

func (c agentCLI) run(ctx context.Context, args []string) error {
	stdin, stdout, stderr := c.stdin, c.stdout, c.stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, agentUsage)
		return errors.New("want a subcommand: add, list, passwd, disable or enable")
	}
	name, args := args[0], args[1:]
	fs := flag.NewFlagSet("hotline agent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	var (
		user, fullName, skills, role *string
		maxChats                     *int
		passwordStdin, asJSON        *bool
	)
	switch name {
	case "add":
		user = fs.String("user", "", "username: 2 to 32 of a-z 0-9 . _ - (required)")
		fullName = fs.String("name", "", "the agent's name, shown to colleagues (required)")
		skills = fs.String("skills", "", "comma-separated department codes of the queues the agent serves (kb-data/departments.yaml)")
		maxChats = fs.Int("max-chats", accounts.DefaultMaxChats, fmt.Sprintf("chats held at once, 1 to %d", accounts.MaxMaxChats))
		role = fs.String("role", string(accounts.RoleAgent), "agent, supervisor or admin")
		passwordStdin = fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of asking")
	case "passwd":
		user = fs.String("user", "", "username (required)")
		passwordStdin = fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of asking")
	case "disable", "enable":
		user = fs.String("user", "", "username (required)")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, agentUsage)
		return nil
	default:
		fmt.Fprint(stderr, agentUsage)
		return fmt.Errorf("unknown agent command %q: want add, list, passwd, disable or enable", name)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if user != nil && *user == "" {
		return errors.New("--user is required")
	}
	cfg, err := sf.config()
	if err != nil {
		return err
	}

	switch name {
	case "add":
		if *maxChats == 0 {
			return fmt.Errorf("--max-chats 0: want 1 to %d", accounts.MaxMaxChats)
		}
		a := accounts.Agent{Username: *user, Name: *fullName, Skills: splitSkills(*skills), MaxChats: *maxChats, Role: accounts.Role(*role)}
		password, err := readPassword(stdin, stderr, *passwordStdin, *user)
		if err != nil {
			return err
		}
		admin, done, err := c.openAccounts(ctx, cfg, len(a.Skills) > 0, stderr)
		if err != nil {
			return err
		}
		defer done()
		a, err = admin.Add(ctx, a, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s): role %s, skills %s, up to %d chats\n", a.Username, a.Name, a.Role, skillList(a.Skills), a.MaxChats)
		return nil
	case "list":
		admin, done, err := c.openAccounts(ctx, cfg, false, stderr)
		if err != nil {
			return err
		}
		defer done()
		list, err := admin.List(ctx)
		if err != nil {
			return err
		}
		return printAgents(stdout, list, *asJSON, time.Now())
	case "passwd":
		password, err := readPassword(stdin, stderr, *passwordStdin, *user)
		if err != nil {
			return err
		}
		admin, done, err := c.openAccounts(ctx, cfg, false, stderr)
		if err != nil {
			return err
		}
		defer done()
		if err := admin.SetPassword(ctx, *user, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "changed the password of %s; their sessions have ended\n", *user)
		return nil
	default: // disable, enable
		admin, done, err := c.openAccounts(ctx, cfg, false, stderr)
		if err != nil {
			return err
		}
		defer done()
		if err := admin.SetDisabled(ctx, *user, name == "disable"); err != nil {
			return err
		}
		if name == "disable" {
			fmt.Fprintf(stdout, "disabled %s; their sessions have ended\n", *user)
		} else {
			fmt.Fprintf(stdout, "enabled %s\n", *user)
		}
		return nil
	}
}

// storeFlags are serve's settings that say where the store is, forwarded
// to server.LoadConfig so that flags, environment and YAML file work as
// for serve.
type storeFlags struct {
	fs *flag.FlagSet
}

// storeSettings are the settings of serve that `hotline agent` takes.
var storeSettings = []string{"data", "redis", "redis_prefix", "kb"}

func (sf *storeFlags) register(fs *flag.FlagSet) {
	sf.fs = fs
	fs.String("config", "", "YAML configuration file (env "+server.ConfigEnv+")")
	for _, s := range server.Settings {
		for _, key := range storeSettings {
			if s.Key == key {
				fs.String(s.Flag(), s.Default, s.Help+" (env "+s.Env+")")
			}
		}
	}
}

// config builds the configuration from the store flags given, the
// environment and the YAML file, as serve would.
func (sf *storeFlags) config() (server.Config, error) {
	var args []string
	sf.fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			args = append(args, "--config", f.Value.String())
			return
		}
		for _, s := range server.Settings {
			if s.Flag() == f.Name {
				args = append(args, "--"+f.Name, f.Value.String())
			}
		}
	})
	return server.LoadConfig(sf.fs.Name(), args, os.Getenv)
}

// openAccounts opens the accounts on the store cfg names or, when a server
// holds the embedded store, on that server through its control socket.
// checkSkills loads the department catalogue to check skills against (the
// server checks them itself). done releases the store.
func (c agentCLI) openAccounts(ctx context.Context, cfg server.Config, checkSkills bool, stderr io.Writer) (admin accountAdmin, done func() error, err error) {
	st, err := server.OpenStore(ctx, cfg)
	if errors.Is(err, embedded.ErrLocked) {
		sock := filepath.Join(cfg.DataDir, server.ControlSocketName)
		fmt.Fprintf(stderr, "a running server holds %s: asking it over %s\n", cfg.DataDir, sock)
		return accounts.NewControlClient(server.ControlClient(cfg.DataDir), "http://hotline"), func() error { return nil }, nil
	}
	if err != nil {
		return nil, nil, err
	}
	acfg := accounts.Config{Store: st, BcryptCost: c.bcryptCost}
	if checkSkills {
		codes, err := server.DepartmentCodes(cfg.KBDir)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		acfg.ValidSkill = func(code string) bool { return codes[code] }
	}
	svc, err := accounts.New(acfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st.Close, nil
}

// readPassword asks for the password twice on the terminal without echo,
// or reads the first line of stdin when fromStdin. It runs before the store
// opens, so that a server can start while the operator types.
func readPassword(stdin io.Reader, stderr io.Writer, fromStdin bool, user string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password: %w", err)
		}
		password := strings.TrimRight(line, "\r\n")
		if password == "" {
			return "", errors.New("--password-stdin: no password on stdin")
		}
		return password, nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("stdin is not a terminal: pass --password-stdin and write the password to stdin")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(stderr, prompt)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(p), err
	}
	first, err := ask("Password for " + user + ": ")
	if err != nil {
		return "", err
	}
	again, err := ask("Repeat it: ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New("the passwords differ")
	}
	return first, nil
}

func printAgents(w io.Writer, list []accounts.Agent, asJSON bool, now time.Time) error {
	if asJSON {
		public := make([]accounts.Agent, len(list))
		for i, a := range list {
			public[i] = a.Public()
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string][]accounts.Agent{"agents": public})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tSKILLS\tCHATS\tSTATUS")
	for _, a := range list {
		status := "active"
		switch {
		case a.Disabled:
			status = "disabled"
		case a.LockedAt(now):
			status = "locked until " + a.LockedUntil.Local().Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", a.Username, a.Name, a.Role, skillList(a.Skills), a.MaxChats, status)
	}
	return tw.Flush()
}

func splitSkills(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func skillList(skills []string) string {
	if len(skills) == 0 {
		return "-"
	}
	return strings.Join(skills, ",")
}
