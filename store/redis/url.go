package redis

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ParseURL reads where Redis is and how to reach it:
//
//	redis://[[user]:password@]host[:port][/db][?options]
//	rediss://…                        the same over TLS
//	redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/master[/db][?options]
//	redis+cluster://[[user]:password@]host[:port][,host[:port]…][?options]
//	rediss+sentinel://…, rediss+cluster://…   over TLS
//
// The port defaults to 6379 (26379 for Sentinel addresses). For Sentinel
// the hosts are the sentinels and master is the name they monitor; user
// and password are the master's. More addresses may also be given as
// repeated addr=host:port options. Options:
//
//	addr=host:port          one more sentinel or cluster seed (repeatable)
//	sentinel_username=…     credentials of the sentinels themselves
//	sentinel_password=…
//	client_name=…           CLIENT SETNAME on every connection
//	dial_timeout=5s, read_timeout=3s, write_timeout=3s   Go durations
//	pool_size=N             connections per node (default 10 per CPU)
//
// Unknown options are errors, so that a typo does not pass silently.
func ParseURL(raw string) (*goredis.UniversalOptions, error) {
	if raw == "" {
		return nil, fmt.Errorf("redis: empty URL")
	}
	u, hosts, err := splitURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis: URL %s: %w", Redact(raw), err)
	}
	fail := func(format string, args ...any) (*goredis.UniversalOptions, error) {
		return nil, fmt.Errorf("redis: URL %s: %s", Redact(raw), fmt.Sprintf(format, args...))
	}
	var (
		useTLS bool
		mode   string // "", "sentinel", "cluster"
	)
	switch u.Scheme {
	case "redis":
	case "rediss":
		useTLS = true
	case "redis+sentinel":
		mode = "sentinel"
	case "rediss+sentinel":
		useTLS, mode = true, "sentinel"
	case "redis+cluster":
		mode = "cluster"
	case "rediss+cluster":
		useTLS, mode = true, "cluster"
	default:
		return fail("scheme %q: want redis, rediss, redis+sentinel, redis+cluster (or rediss+…)", u.Scheme)
	}
	if u.Opaque != "" {
		return fail("want scheme://host:port")
	}
	defPort := "6379"
	if mode == "sentinel" {
		defPort = "26379"
	}
	opts := &goredis.UniversalOptions{
		// Callers' deadlines (a message's handling, /readyz) bound every
		// command, not only the fixed read and write timeouts.
		ContextTimeoutEnabled: true,
		// One dial per attempt (go-redis's default is 5, 100 ms apart): the
		// command's own retries dial again, and a Redis that is down should
		// give a citizen a "try again" quickly, not after seconds.
		DialerRetries: 1,
	}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	if hosts != "" {
		for _, h := range strings.Split(hosts, ",") {
			addr, err := hostPort(h, defPort)
			if err != nil {
				return fail("%v", err)
			}
			opts.Addrs = append(opts.Addrs, addr)
		}
	}

	// The path: /db, /master or /master/db.
	path := strings.Trim(u.Path, "/")
	var parts []string
	if path != "" {
		parts = strings.Split(path, "/")
	}
	dbPart := ""
	switch mode {
	case "sentinel":
		if len(parts) == 0 || parts[0] == "" {
			return fail("a Sentinel URL names the master: redis+sentinel://host:26379/mymaster")
		}
		opts.MasterName = parts[0]
		if len(parts) > 2 {
			return fail("path %q: want /master or /master/db", u.Path)
		}
		if len(parts) == 2 {
			dbPart = parts[1]
		}
	case "cluster":
		if len(parts) > 0 {
			return fail("path %q: Redis Cluster has only database 0; give no path", u.Path)
		}
		opts.IsClusterMode = true
	default:
		if len(parts) > 1 {
			return fail("path %q: want /db", u.Path)
		}
		if len(parts) == 1 {
			dbPart = parts[0]
		}
	}
	if dbPart != "" {
		db, err := strconv.Atoi(dbPart)
		if err != nil || db < 0 {
			return fail("database %q is not a number", dbPart)
		}
		opts.DB = db
	}

	for key, values := range u.Query() {
		if key != "addr" && len(values) > 1 {
			return fail("option %s given %d times", key, len(values))
		}
		v := values[len(values)-1]
		switch key {
		case "addr":
			if mode == "" {
				return fail("addr= lists more nodes for redis+sentinel:// or redis+cluster://; redis:// is one node")
			}
			for _, a := range values {
				addr, err := hostPort(a, defPort)
				if err != nil {
					return fail("addr: %v", err)
				}
				opts.Addrs = append(opts.Addrs, addr)
			}
		case "sentinel_username", "sentinel_password":
			if mode != "sentinel" {
				return fail("%s is for redis+sentinel:// URLs", key)
			}
			if key == "sentinel_username" {
				opts.SentinelUsername = v
			} else {
				opts.SentinelPassword = v
			}
		case "client_name":
			opts.ClientName = v
		case "dial_timeout", "read_timeout", "write_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fail("%s=%q: want a positive duration like 3s", key, v)
			}
			switch key {
			case "dial_timeout":
				opts.DialTimeout = d
			case "read_timeout":
				opts.ReadTimeout = d
			default:
				opts.WriteTimeout = d
			}
		case "pool_size":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fail("pool_size=%q: want a positive number", v)
			}
			opts.PoolSize = n
		default:
			return fail("unknown option %q", key)
		}
	}
	if len(opts.Addrs) == 0 {
		return fail("no host")
	}
	if useTLS {
		host, _, _ := net.SplitHostPort(opts.Addrs[0])
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	}
	return opts, nil
}

func hostPort(h, defPort string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("empty host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the whole thing is the host (an IPv6 literal keeps its brackets).
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defPort
		if strings.ContainsAny(host, "[]/ ") {
			return "", fmt.Errorf("host %q", h)
		}
	}
	if host == "" {
		return "", fmt.Errorf("empty host in %q", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("port %q in %q", port, h)
	}
	return net.JoinHostPort(host, port), nil
}

// splitURL parses raw with its host list taken out first: url.Parse
// refuses several hosts with ports ("a:1,b:2" is not one valid port). The
// returned URL has the placeholder host "h".
func splitURL(raw string) (*url.URL, string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return nil, "", fmt.Errorf("want scheme://host:port")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	u, err := url.Parse(scheme + "://" + userinfo + "h" + tail)
	if err != nil {
		return nil, "", errorWithoutURL(err)
	}
	if u.Fragment != "" || strings.Contains(tail, "#") {
		return nil, "", fmt.Errorf("a Redis URL has no #fragment")
	}
	return u, hosts, nil
}

// validScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, '+', '-', '.').
func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// Redact returns the URL with its passwords replaced, for logs and errors.
func Redact(raw string) string {
	u, hosts, err := splitURL(raw)
	if err != nil {
		// Unparseable: show the scheme at most, never what may be a password.
		if scheme, _, ok := strings.Cut(raw, "://"); ok && validScheme(scheme) {
			return scheme + "://…"
		}
		return "(unparseable URL)"
	}
	q := u.Query()
	if q.Has("sentinel_password") {
		q.Set("sentinel_password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	// Put the hosts back in place of the placeholder.
	scheme, rest, _ := strings.Cut(u.Redacted(), "://")
	userinfo, tail := "", strings.TrimPrefix(rest, "h")
	if u.User != nil {
		// An escaped userinfo holds no '@': the first "@h" ends it.
		if i := strings.Index(rest, "@h"); i >= 0 {
			userinfo, tail = rest[:i+1], rest[i+2:]
		}
	}
	return scheme + "://" + userinfo + hosts + tail
}

// errorWithoutURL drops the URL text that url.Parse puts in its errors:
// it may hold a password.
func errorWithoutURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
