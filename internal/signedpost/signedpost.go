// Package signedpost sends the gateway's outbound webhooks (the app's push,
// the work order webhook): a JSON body POSTed with an idempotency key, a
// timestamp and an HMAC-SHA256 signature over both, retried by the caller
// with capped, jittered exponential backoff. Errors never carry the URL
// (it may hold a token) or a body.
package signedpost

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The headers of a signed POST.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Hotline-Timestamp"
	HeaderSignature      = "X-Hotline-Signature"
)

// Sign is the signature header's value for a body sent at timestamp (Unix
// seconds, as sent in HeaderTimestamp): "sha256=" and the hex HMAC-SHA256,
// keyed with secret, of timestamp, ".", body. Receivers compute the same
// and compare in constant time.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// CheckURL reports whether raw is an absolute http or https URL.
func CheckURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Post makes one signed POST of body to target within timeout; any answer but
// a 2xx is an error, which says "not reached: …" or "answered N" (callers
// put the receiver's name before it).
func Post(ctx context.Context, client *http.Client, target, secret, key string, body []byte, now time.Time, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("not reached: bad request")
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, key)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which may carry a token.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("not reached: %w", err)
	}
	// Drained so that the connection is reused; never read further.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	return nil
}

// Backoff is the wait after the n-th failed attempt (n ≥ 1): doubling from
// lo, capped at hi, with full jitter above lo (jitter picks in [lo, top])
// so that instances restarted together do not retry in step.
func Backoff(n int, lo, hi time.Duration, jitter func(lo, hi time.Duration) time.Duration) time.Duration {
	top := lo
	for i := 1; i < n && top < hi; i++ {
		top *= 2
	}
	return jitter(lo, min(top, hi))
}

// Jitter picks a duration uniformly in [lo, hi].
func Jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo+1)
}
