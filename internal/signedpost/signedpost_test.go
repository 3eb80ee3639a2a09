package signedpost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSign: the documented scheme, checked against a value computed
// outside Go (Python's hmac module).
func TestSign(t *testing.T) {
	got := Sign("secret", "1764300000", []byte(`{"seq":1}`))
	const want = "sha256=357b0ea3f946e110ae8af7c8027937f7d53afd13c0ea3289c3d6755ed7bb0599"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestBackoff(t *testing.T) {
	top := func(lo, hi time.Duration) time.Duration { return hi }
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 60 * time.Second, 100: 60 * time.Second} {
		if got := Backoff(n, time.Second, time.Minute, top); got != want {
			t.Errorf("Backoff(%d) ceiling = %v, want %v", n, got, want)
		}
	}
	for range 100 {
		if d := Jitter(time.Second, 2*time.Second); d < time.Second || d > 2*time.Second {
			t.Fatalf("Jitter = %v, outside [1s, 2s]", d)
		}
	}
}

// TestPost: headers as documented; a non-2xx answer and an unreachable
// receiver are errors that never show the URL.
func TestPost(t *testing.T) {
	var got http.Header
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	now := time.Unix(1764300000, 0)
	target := srv.URL + "/hook?token=sekrit"
	if err := Post(context.Background(), srv.Client(), target, "secret", "k1", []byte(`{"seq":1}`), now, time.Second); err != nil {
		t.Fatal(err)
	}
	if got.Get(HeaderIdempotencyKey) != "k1" || got.Get(HeaderTimestamp) != "1764300000" ||
		got.Get(HeaderSignature) != Sign("secret", "1764300000", []byte(`{"seq":1}`)) {
		t.Errorf("headers = %v", got)
	}
	status = http.StatusServiceUnavailable
	if err := Post(context.Background(), srv.Client(), target, "secret", "k1", nil, now, time.Second); err == nil || err.Error() != "answered 503" {
		t.Errorf("503 → %v, want \"answered 503\"", err)
	}
	srv.Close()
	err := Post(context.Background(), http.DefaultClient, target, "secret", "k1", nil, now, time.Second)
	if err == nil || !strings.HasPrefix(err.Error(), "not reached") || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("unreachable → %v, want \"not reached\" without the URL", err)
	}
	if CheckURL("ftp://x") || CheckURL("/relative") || !CheckURL("https://city.example/hook") {
		t.Error("CheckURL accepts a non-http or relative URL, or refuses an https one")
	}
}
