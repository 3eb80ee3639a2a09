package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hotline12345/hotline/channels/app"
)

// Two keys, as during a rotation. The secrets are distinctive so that a
// test can look for them in error messages.
const (
	secret1 = "SECRET-ONE-4f1c2a9e7b3d5c8f0a6e1d2b9c7a5e3f"
	secret2 = "SECRET-TWO-8d0b6f4a2c9e7d5b3a1f8e6c4d2b0a9f"
	other   = "SECRET-XXX-0000000000000000000000000000000"
)

var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func testKeys(t testing.TB) app.Keys {
	t.Helper()
	k, err := app.ParseKeys("k1:" + secret1 + ",k2:" + secret2)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// claims are a valid token's claims at now, to be altered by a case.
func claims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":   "user-42",
		"name":  "王小明",
		"phone": "13812345678",
		"iat":   now.Add(-time.Minute).Unix(),
		"exp":   now.Add(9 * time.Minute).Unix(),
	}
}

// with returns claims() with changes; a nil value deletes the claim.
func with(changes jwt.MapClaims) jwt.MapClaims {
	c := claims()
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign mints a token the way an app backend does.
func sign(t testing.TB, m jwt.SigningMethod, kid any, secret string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// craft builds a token by hand from raw JSON, signed with HMAC-SHA256
// under secret, or with an empty signature when secret is "".
func craft(header, payload, secret string) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sig := ""
	if secret != "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(s))
		sig = enc.EncodeToString(m.Sum(nil))
	}
	return s + "." + sig
}

func payload(c jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	s, err := tok.SigningString()
	if err != nil {
		panic(err)
	}
	b, err := base64.RawURLEncoding.DecodeString(s[strings.IndexByte(s, '.')+1:])
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	hs256 := jwt.SigningMethodHS256
	valid := sign(t, hs256, "k1", secret1, claims())
	parts := strings.Split(valid, ".")
	alteredPayload := base64.RawURLEncoding.EncodeToString([]byte(payload(with(jwt.MapClaims{"sub": "user-43"}))))

	cases := []struct {
		name  string
		token string
		want  error
	}{
		// The rejections issue 8 lists.
		{"expired", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"iat": now.Add(-10 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix()})), app.ErrTokenExpired},
		{"expired beyond leeway", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"iat": now.Add(-10 * time.Minute).Unix(), "exp": now.Add(-31 * time.Second).Unix()})), app.ErrTokenExpired},
		{"nbf in the future", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"nbf": now.Add(5 * time.Minute).Unix()})), app.ErrTokenNotYet},
		{"iat in the future", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"iat": now.Add(2 * time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix()})), app.ErrTokenNotYet},
		{"wrong secret", sign(t, hs256, "k1", other, claims()), app.ErrTokenSignature},
		{"other key's secret", sign(t, hs256, "k1", secret2, claims()), app.ErrTokenSignature},
		{"altered payload", parts[0] + "." + alteredPayload + "." + parts[2], app.ErrTokenSignature},
		{"no signature", parts[0] + "." + parts[1] + ".", app.ErrTokenSignature},
		{"unknown kid", sign(t, hs256, "k3", secret1, claims()), app.ErrUnknownKey},
		{"missing kid", sign(t, hs256, nil, secret1, claims()), app.ErrUnknownKey},
		{"kid not a string", sign(t, hs256, 1, secret1, claims()), app.ErrUnknownKey},
		{"alg none", craft(`{"alg":"none","typ":"JWT","kid":"k1"}`, payload(claims()), ""), app.ErrTokenAlgorithm},
		{"alg none with signature", craft(`{"alg":"none","kid":"k1"}`, payload(claims()), secret1), app.ErrTokenAlgorithm},
		{"alg NONE", craft(`{"alg":"NONE","kid":"k1"}`, payload(claims()), ""), app.ErrTokenAlgorithm},
		{"alg missing", craft(`{"typ":"JWT","kid":"k1"}`, payload(claims()), secret1), app.ErrTokenAlgorithm},
		{"alg HS512", sign(t, jwt.SigningMethodHS512, "k1", secret1, claims()), app.ErrTokenAlgorithm},
		{"alg HS384", sign(t, jwt.SigningMethodHS384, "k1", secret1, claims()), app.ErrTokenAlgorithm},
		// Key confusion: an HMAC made with the secret, labelled RS256.
		{"alg RS256", craft(`{"alg":"RS256","typ":"JWT","kid":"k1"}`, payload(claims()), secret1), app.ErrTokenAlgorithm},
		{"missing sub", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"sub": nil})), app.ErrTokenClaims},
		{"empty sub", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"sub": ""})), app.ErrTokenClaims},
		{"sub too long", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"sub": strings.Repeat("u", 129)})), app.ErrTokenClaims},
		{"sub with newline", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"sub": "user\n42"})), app.ErrTokenClaims},
		{"missing exp", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"exp": nil})), app.ErrTokenClaims},
		{"missing iat", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"iat": nil})), app.ErrTokenClaims},
		{"lifetime over 24h", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(23*time.Hour + time.Second).Unix()})), app.ErrTokenClaims},
		{"exp before iat", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{
			"iat": now.Add(20 * time.Second).Unix(), "exp": now.Add(10 * time.Second).Unix()})), app.ErrTokenClaims},
		// Garbage.
		{"empty", "", app.ErrTokenMalformed},
		{"one part", "garbage", app.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], app.ErrTokenMalformed},
		{"four parts", valid + ".x", app.ErrTokenMalformed},
		{"not base64", "!!!.???.***", app.ErrTokenMalformed},
		{"header not JSON", craft(`not json`, payload(claims()), secret1), app.ErrTokenMalformed},
		{"payload not JSON", craft(`{"alg":"HS256","kid":"k1"}`, `not json`, secret1), app.ErrTokenMalformed},
		{"payload an array", craft(`{"alg":"HS256","kid":"k1"}`, `[1,2]`, secret1), app.ErrTokenMalformed},
		{"sub a number", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"sub": 42})), app.ErrTokenMalformed},
		{"exp a string", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"exp": "tomorrow"})), app.ErrTokenMalformed},
		{"padded base64", parts[0] + "==." + parts[1] + "." + parts[2], app.ErrTokenMalformed},
		{"too long", sign(t, hs256, "k1", secret1, with(jwt.MapClaims{"pad": strings.Repeat("x", app.MaxTokenBytes)})), app.ErrTokenMalformed},
		{"bearer prefix left on", "Bearer " + valid, app.ErrTokenMalformed},
	}
	sentinels := []error{app.ErrTokenExpired, app.ErrTokenNotYet, app.ErrTokenSignature, app.ErrUnknownKey,
		app.ErrTokenAlgorithm, app.ErrTokenClaims, app.ErrTokenMalformed}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := keys.Verify(tc.token, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want %v", id, err, tc.want)
			}
			if id != (app.Identity{}) {
				t.Errorf("identity %+v returned with an error", id)
			}
			for _, s := range sentinels {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("%v is also %v", err, s)
				}
			}
			assertQuiet(t, err, tc.token)
		})
	}
}

// assertQuiet fails when err's text quotes a secret, the token or one of
// its parts, or a claim value.
func assertQuiet(t *testing.T, err error, token string) {
	t.Helper()
	msg := err.Error()
	for _, s := range []string{secret1, secret2, other, "user-42", "王小明", "13812345678"} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q quotes %q", msg, s)
		}
	}
	for _, p := range strings.Split(token, ".") {
		if len(p) >= 8 && strings.Contains(msg, p) {
			t.Errorf("error %q quotes the token", msg)
		}
	}
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	long := strings.Repeat("长", 100)
	cases := []struct {
		name  string
		kid   string
		c     jwt.MapClaims
		want  app.Identity
		check time.Time // verification time, now when zero
	}{
		{"first key", "k1", claims(),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"second key", "k2", claims(),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"only required claims", "k1", with(jwt.MapClaims{"name": nil, "phone": nil}),
			app.Identity{User: "user-42", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"sub of 128 bytes", "k1", with(jwt.MapClaims{"sub": strings.Repeat("u", 128)}),
			app.Identity{User: strings.Repeat("u", 128), Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"expired within leeway", "k1", with(jwt.MapClaims{"exp": now.Add(-29 * time.Second).Unix()}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(-29 * time.Second)}, time.Time{}},
		{"iat ahead within leeway", "k1", with(jwt.MapClaims{"iat": now.Add(29 * time.Second).Unix()}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"nbf passed", "k1", with(jwt.MapClaims{"nbf": now.Add(-time.Minute).Unix()}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"nbf ahead within leeway", "k1", with(jwt.MapClaims{"nbf": now.Add(29 * time.Second).Unix()}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"lifetime of exactly 24h", "k1", with(jwt.MapClaims{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(23 * time.Hour).Unix()}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(23 * time.Hour)}, time.Time{}},
		{"fractional times", "k1", with(jwt.MapClaims{"iat": float64(now.Unix()) - 0.5, "exp": float64(now.Unix()) + 60.5}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(60 * time.Second)}, time.Time{}},
		{"other claims ignored", "k1", with(jwt.MapClaims{"iss": "city-app", "aud": "hotline", "jti": "x", "role": "admin"}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"later check", "k1", claims(),
			app.Identity{User: "user-42", Name: "王小明", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, now.Add(8 * time.Minute)},

		// phone: kept when a mainland mobile number, dropped otherwise.
		{"phone 19x", "k1", with(jwt.MapClaims{"phone": "19912345678"}),
			app.Identity{User: "user-42", Name: "王小明", Phone: "19912345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone 12x dropped", "k1", with(jwt.MapClaims{"phone": "12812345678"}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone +86 dropped", "k1", with(jwt.MapClaims{"phone": "+8613812345678"}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone short dropped", "k1", with(jwt.MapClaims{"phone": "1381234567"}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone with dashes dropped", "k1", with(jwt.MapClaims{"phone": "138-1234-5678"}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"landline dropped", "k1", with(jwt.MapClaims{"phone": "02112345678"}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone a number dropped", "k1", with(jwt.MapClaims{"phone": 13812345678}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"phone empty", "k1", with(jwt.MapClaims{"phone": ""}),
			app.Identity{User: "user-42", Name: "王小明", Expires: now.Add(9 * time.Minute)}, time.Time{}},

		// name: cleaned and cut at 64 runes, never a reason to refuse.
		{"name cut at 64 runes", "k1", with(jwt.MapClaims{"name": long}),
			app.Identity{User: "user-42", Name: strings.Repeat("长", 64), Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"name of 64 runes kept", "k1", with(jwt.MapClaims{"name": strings.Repeat("长", 64)}),
			app.Identity{User: "user-42", Name: strings.Repeat("长", 64), Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"name trimmed", "k1", with(jwt.MapClaims{"name": "  阿依古丽·买买提 \n"}),
			app.Identity{User: "user-42", Name: "阿依古丽·买买提", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"name control characters removed", "k1", with(jwt.MapClaims{"name": "王\u0000小\u202e明\u001b[31m"}),
			app.Identity{User: "user-42", Name: "王小明[31m", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
		{"name not a string dropped", "k1", with(jwt.MapClaims{"name": []string{"王", "小明"}}),
			app.Identity{User: "user-42", Phone: "13812345678", Expires: now.Add(9 * time.Minute)}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at := now
			if !tc.check.IsZero() {
				at = tc.check
			}
			id, err := keys.Verify(sign(t, jwt.SigningMethodHS256, tc.kid, map[string]string{"k1": secret1, "k2": secret2}[tc.kid], tc.c), at)
			if err != nil {
				t.Fatal(err)
			}
			if id.User != tc.want.User || id.Name != tc.want.Name || id.Phone != tc.want.Phone || !id.Expires.Equal(tc.want.Expires) {
				t.Errorf("Verify = %+v, want %+v", id, tc.want)
			}
		})
	}
}

// A token is good until exp (plus the leeway), then refused.
func TestVerifyOverTime(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	tok := sign(t, jwt.SigningMethodHS256, "k2", secret2, claims())
	exp := now.Add(9 * time.Minute)
	for _, at := range []time.Time{now, exp.Add(-time.Second), exp, exp.Add(app.Leeway - time.Second)} {
		if _, err := keys.Verify(tok, at); err != nil {
			t.Errorf("at exp%+v: %v", at.Sub(exp), err)
		}
	}
	for _, at := range []time.Time{exp.Add(app.Leeway), exp.Add(time.Hour)} {
		if _, err := keys.Verify(tok, at); !errors.Is(err, app.ErrTokenExpired) {
			t.Errorf("at exp%+v: %v, want expired", at.Sub(exp), err)
		}
	}
}

// After a rotation drops k1, its tokens are refused while k2's still pass.
func TestVerifyRotation(t *testing.T) {
	t.Parallel()
	both := testKeys(t)
	onlyNew, err := app.ParseKeys("k2:" + secret2)
	if err != nil {
		t.Fatal(err)
	}
	old := sign(t, jwt.SigningMethodHS256, "k1", secret1, claims())
	cur := sign(t, jwt.SigningMethodHS256, "k2", secret2, claims())
	for _, tok := range []string{old, cur} {
		if _, err := both.Verify(tok, now); err != nil {
			t.Errorf("during rotation: %v", err)
		}
	}
	if _, err := onlyNew.Verify(old, now); !errors.Is(err, app.ErrUnknownKey) {
		t.Errorf("retired key: %v, want ErrUnknownKey", err)
	}
	if _, err := onlyNew.Verify(cur, now); err != nil {
		t.Errorf("new key: %v", err)
	}
}

func TestVerifyNoKeys(t *testing.T) {
	t.Parallel()
	var keys app.Keys
	if keys.Len() != 0 {
		t.Fatalf("zero Keys has Len %d", keys.Len())
	}
	_, err := keys.Verify(sign(t, jwt.SigningMethodHS256, "k1", secret1, claims()), now)
	if !errors.Is(err, app.ErrUnknownKey) {
		t.Fatalf("Verify with no keys: %v, want ErrUnknownKey", err)
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	s32 := strings.Repeat("s", 32)
	cases := []struct {
		name string
		spec string
		len  int    // when ok
		str  string // String() when ok
		err  string // a part of the error's text; "" when ok
	}{
		{"one", "k1:" + secret1, 1, "app keys [k1]", ""},
		{"two", "k1:" + secret1 + ",k2:" + secret2, 2, "app keys [k1 k2]", ""},
		{"spaces", "  k1 : " + secret1 + " ,\tk2:" + secret2 + "\n", 2, "app keys [k1 k2]", ""},
		{"empty", "", 0, "app keys []", ""},
		{"blank", "  \n", 0, "app keys []", ""},
		{"secret of 32 bytes", "k1:" + s32, 1, "app keys [k1]", ""},
		{"secret with colons", "2026-03:" + secret1 + ":" + secret2, 1, "app keys [2026-03]", ""},
		{"base64 secret", "k1:q5M2x+7/vZ0w9Jk1sE4rT8uYp3Lh6dNaBcGfKoWiQe0=", 1, "app keys [k1]", ""},

		{"secret of 31 bytes", "k1:" + s32[:31], 0, "", "entry 1: the secret is 31 bytes, want at least 32"},
		{"short second secret", "k1:" + secret1 + ",k2:short", 0, "", "entry 2: the secret is 5 bytes"},
		{"trailing comma", "k1:" + secret1 + ",", 0, "", "entry 2 is empty"},
		{"no colon", secret1, 0, "", "entry 1 has no ':'"},
		{"empty kid", ":" + secret1, 0, "", "entry 1 has an empty kid"},
		{"empty secret", "k1:", 0, "", "entry 1 has an empty secret"},
		{"kid with space", "k 1:" + secret1, 0, "", "entry 1: the kid must be printable ASCII"},
		{"kid not ASCII", "密钥:" + secret1, 0, "", "entry 1: the kid must be printable ASCII"},
		{"kid too long", strings.Repeat("k", 65) + ":" + secret1, 0, "", "entry 1: the kid is longer than 64 bytes"},
		{"duplicate kid", "k1:" + secret1 + ",k2:" + secret2 + ",k1:" + other, 0, "", "entries 1 and 3 have the same kid"},
		// kid and secret swapped: the secret must not come back as a kid.
		{"swapped", secret1 + ":k1", 0, "", "entry 1: the secret is 2 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := app.ParseKeys(tc.spec)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k.Len() != tc.len || k.String() != tc.str {
					t.Errorf("Len %d, String %q; want %d, %q", k.Len(), k.String(), tc.len, tc.str)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %v", k)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q, want it to say %q", err, tc.err)
			}
			if k.Len() != 0 {
				t.Errorf("Keys of Len %d returned with an error", k.Len())
			}
			for _, s := range []string{secret1, secret2, other, "short", s32[:31]} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q quotes a secret", err)
				}
			}
		})
	}
}

// However Keys are printed, by fmt or a logger built on it, the secrets
// stay out.
func TestKeysDoNotPrintSecrets(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, k) + fmt.Sprintf(verb, &k) + fmt.Sprintf(verb, struct{ K app.Keys }{k})
		if strings.Contains(out, secret1) || strings.Contains(out, secret2) ||
			strings.Contains(out, fmt.Sprintf("%x", secret1)) || strings.Contains(out, "83 69 67") {
			t.Errorf("%s prints %s", verb, out)
		}
	}
}

// Verify is called from every connection and request at once.
func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	tok := sign(t, jwt.SigningMethodHS256, "k1", secret1, claims())
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 50 {
				if _, e := keys.Verify(tok, now); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	keys := testKeys(f)
	f.Add(sign(f, jwt.SigningMethodHS256, "k1", secret1, claims()))
	f.Add(sign(f, jwt.SigningMethodHS256, "k2", secret2, with(jwt.MapClaims{"name": strings.Repeat("名", 70), "phone": 13800000000})))
	f.Add(sign(f, jwt.SigningMethodHS512, "k1", secret1, claims()))
	f.Add(craft(`{"alg":"none","kid":"k1"}`, payload(claims()), ""))
	f.Add(craft(`{"alg":"HS256","kid":"k1"}`, `{"sub":"u","exp":1e300,"iat":-1e300}`, secret1))
	f.Add(craft(`{"alg":"HS256","kid":"k1"}`, `{"sub":"u","exp":"x"}`, secret1))
	f.Add("a.b.c")
	f.Add("")
	sentinels := []error{app.ErrTokenExpired, app.ErrTokenNotYet, app.ErrTokenSignature, app.ErrUnknownKey,
		app.ErrTokenAlgorithm, app.ErrTokenClaims, app.ErrTokenMalformed}
	f.Fuzz(func(t *testing.T, token string) {
		id, err := keys.Verify(token, now)
		if err != nil {
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error %v is none of the sentinels", err)
			}
			if strings.Contains(err.Error(), secret1) || strings.Contains(err.Error(), secret2) {
				t.Fatalf("error %q quotes a secret", err)
			}
			return
		}
		if id.User == "" || len(id.User) > app.MaxUserBytes {
			t.Errorf("accepted user %q", id.User)
		}
		if n := len([]rune(id.Name)); n > app.MaxNameRunes {
			t.Errorf("name of %d runes", n)
		}
		if id.Phone != "" && len(id.Phone) != 11 {
			t.Errorf("phone %q", id.Phone)
		}
		if !id.Expires.After(now.Add(-app.Leeway)) {
			t.Errorf("expired at %v", id.Expires)
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	f.Add("k1:" + secret1 + ",k2:" + secret2)
	f.Add("k1:short")
	f.Add(" , :")
	f.Fuzz(func(t *testing.T, spec string) {
		k, err := app.ParseKeys(spec)
		if err != nil {
			if k.Len() != 0 {
				t.Errorf("Keys of Len %d with an error", k.Len())
			}
			return
		}
		if k.Len() > strings.Count(spec, ":") {
			t.Errorf("%d keys from %d colons", k.Len(), strings.Count(spec, ":"))
		}
	})
}

// The app's backend mints a token for its signed-in user; hotline verifies
// it with the same secret, found by the token's kid.
func ExampleKeys_Verify() {
	// HOTLINE_APP_KEYS on hotline's side.
	keys, err := app.ParseKeys("2026-03:" + secret1)
	if err != nil {
		panic(err)
	}

	// On the app's backend, per session.
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":   "user-42",
		"name":  "王小明",
		"phone": "13812345678",
		"iat":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
	})
	tok.Header["kid"] = "2026-03"
	signed, err := tok.SignedString([]byte(secret1))
	if err != nil {
		panic(err)
	}

	// On hotline.
	id, err := keys.Verify(signed, now.Add(time.Minute))
	fmt.Println(id.User, id.Name, id.Phone, id.Expires.Format(time.RFC3339), err)

	_, err = keys.Verify(signed, now.Add(time.Hour))
	fmt.Println(errors.Is(err, app.ErrTokenExpired))
	// Output:
	// user-42 王小明 13812345678 2026-03-01T09:10:00Z <nil>
	// true
}
