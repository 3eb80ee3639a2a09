package redis

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	type want struct {
		addrs      []string
		db         int
		user, pass string
		master     string
		cluster    bool
		tls        bool
		sentPass   string
		name       string
		dial       time.Duration
		pool       int
	}
	tests := []struct {
		name string
		url  string
		want want
		err  string // a part of the error; "" for none
	}{
		{"plain", "redis://127.0.0.1:6379", want{addrs: []string{"127.0.0.1:6379"}}, ""},
		{"default port", "redis://redis.internal", want{addrs: []string{"redis.internal:6379"}}, ""},
		{"db", "redis://127.0.0.1:6379/15", want{addrs: []string{"127.0.0.1:6379"}, db: 15}, ""},
		{"password only", "redis://:s3cret@h:6380/2", want{addrs: []string{"h:6380"}, db: 2, pass: "s3cret"}, ""},
		{"user and password", "redis://hotline:p%40ss@h:6379", want{addrs: []string{"h:6379"}, user: "hotline", pass: "p@ss"}, ""},
		{"TLS", "rediss://:pw@cache.example.gov.cn:6380/0", want{addrs: []string{"cache.example.gov.cn:6380"}, pass: "pw", tls: true}, ""},
		{"IPv6", "redis://[::1]:6379", want{addrs: []string{"[::1]:6379"}}, ""},
		{"options", "redis://h/1?client_name=hotline&dial_timeout=2s&pool_size=20", want{addrs: []string{"h:6379"}, db: 1, name: "hotline", dial: 2 * time.Second, pool: 20}, ""},
		{"sentinel", "redis+sentinel://:pw@s1:26379,s2:26379,s3/mymaster/3", want{addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, pass: "pw", master: "mymaster", db: 3}, ""},
		{"sentinel addr options", "redis+sentinel://s1/mymaster?addr=s2:26380&addr=s3&sentinel_password=spw", want{addrs: []string{"s1:26379", "s2:26380", "s3:26379"}, master: "mymaster", sentPass: "spw"}, ""},
		{"sentinel TLS", "rediss+sentinel://s1:26379/m", want{addrs: []string{"s1:26379"}, master: "m", tls: true}, ""},
		{"cluster", "redis+cluster://:pw@n1:7000,n2:7001", want{addrs: []string{"n1:7000", "n2:7001"}, pass: "pw", cluster: true}, ""},
		{"cluster one seed", "redis+cluster://cfg.example:6379", want{addrs: []string{"cfg.example:6379"}, cluster: true}, ""},
		{"cluster addr option", "rediss+cluster://n1:7000?addr=n2:7000", want{addrs: []string{"n1:7000", "n2:7000"}, cluster: true, tls: true}, ""},

		{"empty", "", want{}, "empty URL"},
		{"no scheme", "127.0.0.1:6379", want{}, "scheme"},
		{"unknown scheme", "http://h:6379", want{}, "scheme"},
		{"unix socket", "unix:///run/redis.sock", want{}, "scheme"},
		{"no host", "redis://", want{}, "no host"},
		{"bad db", "redis://h/x", want{}, "database"},
		{"negative db", "redis://h/-1", want{}, "database"},
		{"db path too deep", "redis://h/1/2", want{}, "want /db"},
		{"bad port", "redis://h:99999", want{}, "port"},
		{"sentinel without master", "redis+sentinel://s1:26379", want{}, "names the master"},
		{"cluster with db", "redis+cluster://n1:7000/1", want{}, "only database 0"},
		{"unknown option", "redis://h?poolsize=3", want{}, `unknown option "poolsize"`},
		{"addr on one node", "redis://h?addr=h2:6379", want{}, "one node"},
		{"sentinel password outside sentinel", "redis://h?sentinel_password=x", want{}, "redis+sentinel"},
		{"bad duration", "redis://h?read_timeout=3", want{}, "read_timeout"},
		{"bad pool size", "redis://h?pool_size=0", want{}, "pool_size"},
		{"repeated option", "redis://h?pool_size=1&pool_size=2", want{}, "2 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := ParseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseURL(%q) error = %v, want one containing %q", tt.url, err, tt.err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.url, err)
			}
			w := tt.want
			got := want{addrs: o.Addrs, db: o.DB, user: o.Username, pass: o.Password, master: o.MasterName,
				cluster: o.IsClusterMode, tls: o.TLSConfig != nil, sentPass: o.SentinelPassword,
				name: o.ClientName, dial: o.DialTimeout, pool: o.PoolSize}
			if !slices.Equal(got.addrs, w.addrs) {
				t.Errorf("addrs = %q, want %q", got.addrs, w.addrs)
			}
			got.addrs, w.addrs = nil, nil
			if !reflect.DeepEqual(got, w) {
				t.Errorf("ParseURL(%q) =\n %+v\nwant %+v", tt.url, got, w)
			}
			if !o.ContextTimeoutEnabled {
				t.Error("callers' deadlines are not honoured")
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"redis://:s3cret@h:6379/0":                                 "redis://:xxxxx@h:6379/0",
		"redis://user:s3cret@h:6379":                               "redis://user:xxxxx@h:6379",
		"redis+sentinel://:s3cret@a:1,b:2/m?sentinel_password=sss": "redis+sentinel://:xxxxx@a:1,b:2/m?sentinel_password=xxxxx",
		"redis://h:6379/15":                                        "redis://h:6379/15",
		"redis://h%zz:s3cret@":                                     "redis://…",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseURL: no input panics, and a password never shows in an error.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://:s3cret@127.0.0.1:6379/15",
		"rediss://u:s3cret@h/0?dial_timeout=1s",
		"redis+sentinel://:s3cret@a:26379,b/m/1?addr=c&sentinel_password=x",
		"redis+cluster://a:7000,b:7001?pool_size=3",
		"redis://[::1]:6379",
	} {
		f.Add(s)
	}
	// secret reports whether raw carries the password s3cret in its
	// userinfo (between "://" and the first '/', '?' or '#').
	secret := func(raw string) bool {
		_, rest, ok := strings.Cut(raw, "://")
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			rest = rest[:end]
		}
		return ok && strings.Contains(rest, ":s3cret@")
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := ParseURL(raw)
		if err == nil && len(o.Addrs) == 0 {
			t.Errorf("ParseURL(%q) gave no address and no error", raw)
		}
		if err != nil && secret(raw) && strings.Contains(err.Error(), "s3cret@") {
			t.Errorf("ParseURL(%q) error shows the password: %v", raw, err)
		}
		if secret(raw) && strings.Contains(Redact(raw), "s3cret@") {
			t.Errorf("Redact(%q) = %q shows the password", raw, Redact(raw))
		}
	})
}
