package server

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hotline12345/hotline/channels/app"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/nlu"
	redisstore "github.com/hotline12345/hotline/store/redis"
)

// Config is everything `hotline serve` can be told. Each field is one
// setting with a flag, an environment variable and a YAML key (see
// Settings); flags override the environment, which overrides the YAML file,
// which overrides the defaults.
type Config struct {
	// Addr is where the HTTP server listens. Default ":8080".
	Addr string
	// DataDir holds the store (hotline.db) and the search index. Default "./data".
	DataDir string
	// KBDir is the knowledge base seed (kb-data). Default "./kb-data".
	KBDir string
	// AllowedOrigins restricts the pages that may embed the widget; empty
	// allows any (the session token authenticates conversations).
	AllowedOrigins []string
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string
	// LogFormat is text or json. Default text.
	LogFormat string
	// ShutdownTimeout bounds a graceful shutdown. Default 10 s.
	ShutdownTimeout time.Duration
	// AdminToken is a bearer token that acts as an admin on the staff
	// APIs (/api/v1/kb/…, /api/v1/workorders…), for scripts. Empty (the
	// default): only signed-in admins use them.
	AdminToken string
	// RedisURL, when set, keeps the state in Redis instead of the data
	// directory's file, so that any number of instances behind a load
	// balancer share it (docs/DEPLOYING.md). Empty (the default): embedded.
	RedisURL string
	// ModelDir keeps the trained NLU models; default DataDir/models.
	ModelDir string
	// RedisPrefix starts every Redis key, so that several deployments can
	// share one Redis. Default "hotline:".
	RedisPrefix string
	// ServiceHours are when agents serve (docs/HANDOFF-HOURS.md); the
	// holiday calendar is kb-data/handoff/calendar.yaml. Default every day
	// 08:00–20:00.
	ServiceHours string
	// AcceptTimeout is how long an agent has to accept an offered chat.
	// Default 15 s.
	AcceptTimeout time.Duration
	// AgentGrace is how long an agent whose connection dropped keeps their
	// chats. Default 60 s.
	AgentGrace time.Duration
	// HandoffIntents are the appeals handed to agents rather than taken
	// down as messages. Default complaint, report, help.
	HandoffIntents []string
	// CookieSecure marks the agents' session cookie Secure even when the
	// request reached hotline over plain HTTP (behind a TLS proxy).
	CookieSecure bool
	// WeChat official account: the channel is on when WeChatAppID is set
	// (docs/WECHAT.md).
	WeChatAppID       string
	WeChatSecret      string
	WeChatToken       string
	WeChatAESKey      string
	WeChatPath        string
	WeChatMaxSkew     time.Duration
	WeChatAPIBase     string
	WeChatReplyBudget time.Duration
	// WeChatMenu maps menu CLICK keys to the text they stand for.
	WeChatMenu map[string]string
	// AppKeys are the city app backend's token keys ("kid:secret,…");
	// the app channel is on when one is set (docs/APP.md).
	AppKeys string
	// AppPushURL and AppPushSecret: the app's push webhook and the key of
	// its HMAC signature; empty URL: no push.
	AppPushURL    string
	AppPushSecret string
	// DepartmentTokens are the departments' bearer tokens for the work
	// order API, "code:token,code:token" (several per department for
	// rotation): each sees and moves only the orders dispatched to it.
	// Codes are those of kb-data/departments.yaml; tokens are at least 32
	// characters and all different. Empty: no department access.
	DepartmentTokens string
	// WorkOrderWebhookURL, when set, receives every work order change, in
	// order, signed with WorkOrderWebhookSecret (docs/API.md).
	WorkOrderWebhookURL    string
	WorkOrderWebhookSecret string
}

// Setting describes one configuration setting for flags, environment and
// YAML alike, and for the README's table.
type Setting struct {
	Key     string // YAML key; the flag is the key with '-' for '_'
	Env     string
	Default string
	Help    string
	set     func(c *Config, v string) error
}

// Flag returns the command-line flag name of the setting.
func (s Setting) Flag() string { return strings.ReplaceAll(s.Key, "_", "-") }

// Settings lists every setting of `hotline serve`.
var Settings = []Setting{
	{Key: "addr", Env: "HOTLINE_ADDR", Default: ":8080", Help: "address to listen on",
		set: func(c *Config, v string) error { c.Addr = v; return nil }},
	{Key: "data", Env: "HOTLINE_DATA", Default: "./data", Help: "data directory: store file and search index",
		set: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{Key: "kb", Env: "HOTLINE_KB", Default: "./kb-data", Help: "knowledge base directory (kb-data)",
		set: func(c *Config, v string) error { c.KBDir = v; return nil }},
	{Key: "allowed_origins", Env: "HOTLINE_ALLOWED_ORIGINS", Default: "", Help: "comma-separated origins allowed to embed the widget (empty: any)",
		set: func(c *Config, v string) error { c.AllowedOrigins = splitList(v); return nil }},
	{Key: "admin_token", Env: "HOTLINE_ADMIN_TOKEN", Default: "", Help: "bearer token acting as an admin on the staff APIs (knowledge base, work orders); empty: only signed-in admins (prefer the environment: flags show in ps)",
		set: func(c *Config, v string) error { c.AdminToken = v; return nil }},
	{Key: "log_level", Env: "HOTLINE_LOG_LEVEL", Default: "info", Help: "log level: debug, info, warn, error",
		set: func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{Key: "log_format", Env: "HOTLINE_LOG_FORMAT", Default: "text", Help: "log format: text or json",
		set: func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{Key: "shutdown_timeout", Env: "HOTLINE_SHUTDOWN_TIMEOUT", Default: "10s", Help: "how long a graceful shutdown may take",
		set: func(c *Config, v string) (err error) { c.ShutdownTimeout, err = time.ParseDuration(v); return err }},
	{Key: "redis", Env: "HOTLINE_REDIS_URL", Default: "", Help: "Redis URL shared by every instance (redis://, rediss://, redis+sentinel://, redis+cluster://; see docs/DEPLOYING.md); empty keeps the state in the data directory (prefer the environment: the URL may hold a password)",
		set: func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{Key: "model_dir", Env: "HOTLINE_MODEL_DIR", Default: "", Help: "directory of the trained NLU models (default: <data>/models); trained at start when missing or stale",
		set: func(c *Config, v string) error { c.ModelDir = v; return nil }},
	{Key: "redis_prefix", Env: "HOTLINE_REDIS_PREFIX", Default: redisstore.DefaultPrefix, Help: "prefix of every Redis key, so that several deployments can share one Redis",
		set: func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
	{Key: "service_hours", Env: "HOTLINE_SERVICE_HOURS", Default: handoff.DefaultHours, Help: "when agents serve, e.g. \"mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00\" (holidays: kb-data/handoff/calendar.yaml; see docs/HANDOFF-HOURS.md)",
		set: func(c *Config, v string) error { c.ServiceHours = v; _, err := handoff.ParseHours(v); return err }},
	{Key: "accept_timeout", Env: "HOTLINE_ACCEPT_TIMEOUT", Default: "15s", Help: "how long an agent has to accept an offered chat before it goes to the next agent",
		set: func(c *Config, v string) (err error) { c.AcceptTimeout, err = time.ParseDuration(v); return err }},
	{Key: "agent_grace", Env: "HOTLINE_AGENT_GRACE", Default: "60s", Help: "how long an agent whose connection dropped keeps their chats",
		set: func(c *Config, v string) (err error) { c.AgentGrace, err = time.ParseDuration(v); return err }},
	{Key: "handoff_intents", Env: "HOTLINE_HANDOFF_INTENTS", Default: "complaint,report,help", Help: "comma-separated intents handed to an agent (when agents serve) instead of taken down as a message; empty: none",
		set: func(c *Config, v string) error { c.HandoffIntents = splitList(v); return nil }},
	{Key: "wechat_appid", Env: "HOTLINE_WECHAT_APPID", Default: "", Help: "WeChat official account AppID; setting it turns the WeChat channel on (docs/WECHAT.md)",
		set: func(c *Config, v string) error { c.WeChatAppID = v; return nil }},
	{Key: "wechat_secret", Env: "HOTLINE_WECHAT_SECRET", Default: "", Help: "the account's AppSecret, for the customer-service API (prefer the environment: flags show in ps)",
		set: func(c *Config, v string) error { c.WeChatSecret = v; return nil }},
	{Key: "wechat_token", Env: "HOTLINE_WECHAT_TOKEN", Default: "", Help: "the Token of the account's server configuration (服务器配置)",
		set: func(c *Config, v string) error { c.WeChatToken = v; return nil }},
	{Key: "wechat_aes_key", Env: "HOTLINE_WECHAT_AES_KEY", Default: "", Help: "the EncodingAESKey (43 characters) for compatible and safe mode; empty: plaintext mode only",
		set: func(c *Config, v string) error { c.WeChatAESKey = v; return nil }},
	{Key: "wechat_path", Env: "HOTLINE_WECHAT_PATH", Default: "/wechat", Help: "path of the callback URL to enter as the account's server URL",
		set: func(c *Config, v string) error { c.WeChatPath = v; return nil }},
	{Key: "wechat_max_skew", Env: "HOTLINE_WECHAT_MAX_SKEW", Default: "300s", Help: "allowed clock difference of a callback's timestamp; 0 turns the check off",
		set: func(c *Config, v string) (err error) { c.WeChatMaxSkew, err = time.ParseDuration(v); return err }},
	{Key: "wechat_api_base", Env: "HOTLINE_WECHAT_API_BASE", Default: "https://api.weixin.qq.com", Help: "WeChat's API host, or the city's egress proxy in front of it",
		set: func(c *Config, v string) error { c.WeChatAPIBase = v; return nil }},
	{Key: "wechat_reply_budget", Env: "HOTLINE_WECHAT_REPLY_BUDGET", Default: "4s", Help: "how long a callback waits for the answer before answering success and sending it as a customer-service message (WeChat waits 5 s)",
		set: func(c *Config, v string) (err error) { c.WeChatReplyBudget, err = time.ParseDuration(v); return err }},
	{Key: "wechat_menu", Env: "HOTLINE_WECHAT_MENU", Default: "HUMAN=转人工;TICKET=查询工单;MESSAGE=留言", Help: "menu CLICK keys and the text each stands for, KEY=text separated by ';'",
		set: func(c *Config, v string) (err error) { c.WeChatMenu, err = parseMenu(v); return err }},
	{Key: "app_keys", Env: "HOTLINE_APP_KEYS", Default: "", Help: "the city app backend's token keys, kid:secret separated by commas (several for rotation); setting one turns the app channel on (docs/APP.md; prefer the environment)",
		set: func(c *Config, v string) error { c.AppKeys = v; return nil }},
	{Key: "app_push_url", Env: "HOTLINE_APP_PUSH_URL", Default: "", Help: "the app's push webhook, called when none of a user's devices is connected; empty: no push",
		set: func(c *Config, v string) error { c.AppPushURL = v; return nil }},
	{Key: "app_push_secret", Env: "HOTLINE_APP_PUSH_SECRET", Default: "", Help: "key of the push webhook's HMAC-SHA256 signature (X-Hotline-Signature)",
		set: func(c *Config, v string) error { c.AppPushSecret = v; return nil }},
	{Key: "department_tokens", Env: "HOTLINE_DEPARTMENT_TOKENS", Default: "", Help: "the departments' work order API tokens, code:token separated by commas (codes of kb-data/departments.yaml, tokens of at least 32 characters; prefer the environment)",
		set: func(c *Config, v string) error { c.DepartmentTokens = v; return nil }},
	{Key: "workorder_webhook_url", Env: "HOTLINE_WORKORDER_WEBHOOK_URL", Default: "", Help: "the city work-order system's webhook, sent every work order change in order; empty: none",
		set: func(c *Config, v string) error { c.WorkOrderWebhookURL = v; return nil }},
	{Key: "workorder_webhook_secret", Env: "HOTLINE_WORKORDER_WEBHOOK_SECRET", Default: "", Help: "key of the work order webhook's HMAC-SHA256 signature (X-Hotline-Signature), at least 16 characters",
		set: func(c *Config, v string) error { c.WorkOrderWebhookSecret = v; return nil }},
	{Key: "cookie_secure", Env: "HOTLINE_COOKIE_SECURE", Default: "false", Help: "mark the agents' session cookie Secure (set when a TLS proxy is in front)",
		set: func(c *Config, v string) (err error) { c.CookieSecure, err = strconv.ParseBool(v); return err }},
}

// ConfigEnv is the environment variable naming the YAML file, as --config does.
const ConfigEnv = "HOTLINE_CONFIG"

// LoadConfig builds the configuration from the defaults, the YAML file
// named by --config or HOTLINE_CONFIG, the environment (getenv) and the
// flags in args, each overriding the one before. It has no side effects
// beyond reading the YAML file.
func LoadConfig(name string, args []string, getenv func(string) string) (Config, error) {
	var cfg Config
	for _, s := range Settings {
		if err := s.set(&cfg, s.Default); err != nil {
			return cfg, fmt.Errorf("default %s: %w", s.Key, err)
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	configFile := fs.String("config", "", "YAML configuration file (env "+ConfigEnv+")")
	values := make(map[string]*string)
	for _, s := range Settings {
		values[s.Key] = fs.String(s.Flag(), s.Default, s.Help+" (env "+s.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	if *configFile == "" {
		*configFile = getenv(ConfigEnv)
	}
	if *configFile != "" {
		file, err := readYAML(*configFile)
		if err != nil {
			return cfg, err
		}
		for _, s := range Settings {
			if v, ok := file[s.Key]; ok {
				if err := s.set(&cfg, v); err != nil {
					return cfg, fmt.Errorf("%s: %s: %w", *configFile, s.Key, err)
				}
			}
		}
	}
	for _, s := range Settings {
		if v, ok := lookup(getenv, s.Env); ok {
			if err := s.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("%s: %w", s.Env, err)
			}
		}
	}
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		for _, s := range Settings {
			if s.Flag() == f.Name {
				if err := s.set(&cfg, f.Value.String()); err != nil && flagErr == nil {
					flagErr = fmt.Errorf("--%s: %w", f.Name, err)
				}
			}
		}
	})
	if flagErr != nil {
		return cfg, flagErr
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that can't work.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("addr must not be empty")
	case c.DataDir == "":
		return errors.New("data must not be empty")
	case c.KBDir == "":
		return errors.New("kb must not be empty")
	case c.ShutdownTimeout <= 0:
		return errors.New("shutdown_timeout must be positive")
	case c.AcceptTimeout < 0 || c.AgentGrace < 0:
		return errors.New("accept_timeout and agent_grace must not be negative")
	}
	for _, in := range c.HandoffIntents {
		switch nlu.Intent(in) {
		case nlu.IntentComplaint, nlu.IntentReport, nlu.IntentHelp, nlu.IntentSuggestion:
		default:
			return fmt.Errorf("handoff_intents: %q is not one of complaint, report, help, suggestion", in)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format %q: want text or json", c.LogFormat)
	}
	if c.RedisURL != "" {
		if _, err := redisstore.ParseURL(c.RedisURL); err != nil {
			return err // "redis: URL …: what is wrong", password redacted
		}
	}
	if strings.ContainsAny(c.RedisPrefix, "{}") {
		return fmt.Errorf("redis_prefix %q must not contain '{' or '}'", c.RedisPrefix)
	}
	if c.WeChatAppID != "" {
		switch {
		case c.WeChatToken == "":
			return errors.New("wechat_token is required with wechat_appid")
		case c.WeChatSecret == "":
			return errors.New("wechat_secret is required with wechat_appid (the customer-service API needs it)")
		case c.WeChatAESKey != "" && len(c.WeChatAESKey) != 43:
			return fmt.Errorf("wechat_aes_key must be the 43-character EncodingAESKey, not %d characters", len(c.WeChatAESKey))
		case !strings.HasPrefix(c.WeChatPath, "/") || c.WeChatPath == "/" || strings.HasPrefix(c.WeChatPath, "/ws/") || strings.HasPrefix(c.WeChatPath, "/api/"):
			return fmt.Errorf("wechat_path %q: want a path of its own such as /wechat", c.WeChatPath)
		case c.WeChatMaxSkew < 0 || c.WeChatReplyBudget <= 0 || c.WeChatReplyBudget >= 5*time.Second:
			return errors.New("wechat_max_skew must not be negative, and wechat_reply_budget must be between 0 and 5 s (WeChat's limit)")
		}
	}
	if c.AppKeys != "" {
		if _, err := app.ParseKeys(c.AppKeys); err != nil {
			return fmt.Errorf("app_keys: %w", err)
		}
	}
	if c.AppPushURL != "" {
		if c.AppKeys == "" {
			return errors.New("app_push_url needs app_keys (the app channel)")
		}
		if !strings.HasPrefix(c.AppPushURL, "http://") && !strings.HasPrefix(c.AppPushURL, "https://") {
			return fmt.Errorf("app_push_url %q is not an http(s) URL", c.AppPushURL)
		}
		if len(c.AppPushSecret) < 16 {
			return errors.New("app_push_secret must be at least 16 characters when app_push_url is set")
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return errors.New("admin_token must be at least 16 characters")
	}
	tokens, err := parseDepartmentTokens(c.DepartmentTokens)
	if err != nil {
		return err
	}
	for _, d := range tokens {
		if c.AdminToken != "" && d.token == c.AdminToken {
			return fmt.Errorf("department_tokens: %s is the admin token: give each department its own", d)
		}
	}
	if c.WorkOrderWebhookURL != "" {
		if u, err := url.Parse(c.WorkOrderWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("workorder_webhook_url is not an absolute http(s) URL")
		}
		if len(c.WorkOrderWebhookSecret) < 16 {
			return errors.New("workorder_webhook_secret must be at least 16 characters when workorder_webhook_url is set")
		}
	}
	for _, o := range c.AllowedOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return fmt.Errorf("allowed_origins: %q is not an origin like https://www.example.gov.cn", o)
		}
	}
	return nil
}

// minDepartmentToken is the shortest department token accepted: 32
// characters, such as `openssl rand -hex 16`.
const minDepartmentToken = 32

// departmentCodeRE is the shape of a department code.
var departmentCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// departmentToken is one entry of department_tokens.
type departmentToken struct {
	entry int // 1-based position in the setting, for errors
	code  string
	token string
}

// parseDepartmentTokens reads "code:token,code:token". Errors name the
// entry by position, and by code when the code cannot be a token written
// in the wrong place: never a token.
func parseDepartmentTokens(v string) ([]departmentToken, error) {
	var out []departmentToken
	seen := map[string]int{}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, token, ok := strings.Cut(part, ":")
		d := departmentToken{entry: i + 1, code: strings.TrimSpace(code), token: strings.TrimSpace(token)}
		switch {
		case !ok || d.code == "" || d.token == "":
			return nil, fmt.Errorf("department_tokens: entry %d: want code:token", d.entry)
		case !departmentCodeRE.MatchString(d.code) || len(d.code) >= minDepartmentToken:
			return nil, fmt.Errorf("department_tokens: entry %d: the part before ':' is not a department code (lower-case letters, digits, _)", d.entry)
		case len(d.token) < minDepartmentToken:
			return nil, fmt.Errorf("department_tokens: %s: the token must be at least %d characters, not %d", d, minDepartmentToken, len(d.token))
		}
		if j, dup := seen[d.token]; dup {
			return nil, fmt.Errorf("department_tokens: %s and %s have the same token: give each its own", out[j], d)
		}
		seen[d.token] = len(out)
		out = append(out, d)
	}
	return out, nil
}

// String names the entry for errors: its position and code, never the
// token.
func (d departmentToken) String() string { return fmt.Sprintf("entry %d (%s)", d.entry, d.code) }

// checkDepartmentTokens parses department_tokens and checks every code
// against the department catalogue of the knowledge base directory.
func checkDepartmentTokens(c Config) ([]departmentToken, error) {
	tokens, err := parseDepartmentTokens(c.DepartmentTokens)
	if err != nil || len(tokens) == 0 {
		return tokens, err
	}
	codes, err := DepartmentCodes(c.KBDir)
	if err != nil {
		return nil, fmt.Errorf("department_tokens: %w", err)
	}
	for _, d := range tokens {
		if !codes[d.code] {
			return nil, fmt.Errorf("department_tokens: %s: no such department in %s", d, filepath.Join(c.KBDir, "departments.yaml"))
		}
	}
	return tokens, nil
}

// readYAML reads a flat YAML mapping of setting keys to scalars or lists.
func readYAML(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	known := make(map[string]bool)
	for _, s := range Settings {
		known[s.Key] = true
	}
	out := make(map[string]string)
	var unknown []string
	for k, v := range raw {
		if !known[k] {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, ",")
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config file %s: unknown settings: %s", path, strings.Join(unknown, ", "))
	}
	return out, nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseMenu reads "KEY=text;KEY=text".
func parseMenu(v string) (map[string]string, error) {
	menu := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, text, ok := strings.Cut(part, "=")
		key, text = strings.TrimSpace(key), strings.TrimSpace(text)
		if !ok || key == "" || text == "" {
			return nil, fmt.Errorf("menu entry %q: want KEY=text", part)
		}
		menu[key] = text
	}
	return menu, nil
}
