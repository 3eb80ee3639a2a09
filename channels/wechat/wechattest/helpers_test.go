package wechattest

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"
	"time"
)

func unix(sec int64) time.Time { return time.Unix(sec, 0) }

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func mustEncrypt(t testing.TB, key []byte, msg string) string {
	t.Helper()
	var r [16]byte
	copy(r[:], randomBytes(16))
	enc, err := Encrypt(key, r, []byte(msg), "wx1")
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// newPlatform is New(cfg) that fails the test on an error.
func newPlatform(t testing.TB, cfg Config) *Platform {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
