package web

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	b := tokenBucket{burst: 3, rate: 1}
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !b.take(now) {
			t.Fatalf("message %d of the burst refused", i+1)
		}
	}
	if b.take(now) {
		t.Fatal("4th message in the same instant allowed, burst is 3")
	}
	if b.take(now.Add(500 * time.Millisecond)) {
		t.Error("allowed after half a token refilled")
	}
	if !b.take(now.Add(1500 * time.Millisecond)) {
		t.Error("refused after a token refilled")
	}
	if !b.take(now.Add(time.Hour)) || !b.take(now.Add(time.Hour)) || !b.take(now.Add(time.Hour)) || b.take(now.Add(time.Hour)) {
		t.Error("a long pause must refill to the burst, not beyond")
	}
}

func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{nil, "https://any.example.org", true},
		{[]string{"https://www.example.gov.cn"}, "https://www.example.gov.cn", true},
		{[]string{"https://www.example.gov.cn"}, "HTTPS://WWW.EXAMPLE.GOV.CN", true},
		{[]string{"https://www.example.gov.cn"}, "https://evil.example.com", false},
		{[]string{"https://www.example.gov.cn"}, "", false},
	}
	for _, tt := range tests {
		c := &Channel{cfg: Config{AllowedOrigins: tt.allowed}}
		r := httptest.NewRequest("GET", "/ws/chat", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := c.checkOrigin(r); got != tt.want {
			t.Errorf("allowed %v, origin %q: %v, want %v", tt.allowed, tt.origin, got, tt.want)
		}
	}
}
