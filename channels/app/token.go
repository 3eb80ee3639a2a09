package app

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// The app's backend vouches for its users with a short-lived JWT: HS256,
// a kid header naming one of the shared secrets in HOTLINE_APP_KEYS, and
// the claims sub, exp and iat, with name and phone optional. docs/APP.md
// tells the app's developers how to mint one.

// ErrTokenExpired is returned for a token whose exp has passed (by more
// than the clock leeway). The app should fetch a fresh token from its
// backend and try again.
var ErrTokenExpired = errors.New("app: token expired")

// ErrTokenNotYet is returned for a token whose nbf or iat lies in the
// future (by more than the clock leeway): usually a backend whose clock
// runs fast.
var ErrTokenNotYet = errors.New("app: token not valid yet")

// ErrTokenSignature is returned when the signature does not match the
// secret of the token's kid: a forged or altered token, or a backend
// signing with a secret hotline does not have under that kid.
var ErrTokenSignature = errors.New("app: token signature invalid")

// ErrUnknownKey is returned for a token without a kid header or with a
// kid that is not among the configured keys (a key retired too early, or
// a backend ahead of hotline's configuration during a rotation).
var ErrUnknownKey = errors.New("app: token key unknown")

// ErrTokenAlgorithm is returned for a token signed with anything but
// HS256, "none" included. Accepting the algorithm a token names is the
// classic JWT forgery; only the configured one is tried.
var ErrTokenAlgorithm = errors.New("app: token algorithm not allowed")

// ErrTokenClaims is returned for a correctly signed token whose claims are
// unusable: no sub, exp or iat, a sub that is too long, or a lifetime
// (exp − iat) over MaxTokenLifetime.
var ErrTokenClaims = errors.New("app: token claims invalid")

// ErrTokenMalformed is returned for anything that is not a JWT at all:
// not three base64url parts, not JSON, a claim of the wrong JSON type,
// or longer than MaxTokenBytes.
var ErrTokenMalformed = errors.New("app: token malformed")

const (
	// MinSecretBytes is the shortest shared secret ParseKeys accepts:
	// HMAC-SHA256 is only as strong as a 256-bit key.
	MinSecretBytes = 32

	// MaxTokenLifetime caps exp − iat. Tokens are meant to live minutes
	// (docs/APP.md recommends ten); a day is the outer limit, so that a
	// leaked token is not a long-lived credential.
	MaxTokenLifetime = 24 * time.Hour

	// Leeway is the clock difference tolerated between the app's backend
	// and hotline, for exp, nbf and iat alike.
	Leeway = 30 * time.Second

	// MaxTokenBytes bounds the token accepted for parsing; real ones are
	// a few hundred bytes.
	MaxTokenBytes = 4096

	// MaxUserBytes bounds the sub claim, the app's user id.
	MaxUserBytes = 128

	// MaxNameRunes is where a longer name claim is cut.
	MaxNameRunes = 64

	maxKidBytes = 64
	algorithm   = "HS256"
)

// Errors for the kid header, kept apart so the rejection says which.
var (
	errNoKid      = fmt.Errorf("%w: no kid header", ErrUnknownKey)
	errUnknownKid = fmt.Errorf("%w: kid not configured", ErrUnknownKey)
)

// Keys are the shared secrets of the app's backend by key id (kid), from
// HOTLINE_APP_KEYS. Several keys are valid at once so that a secret can be
// rotated without a moment when the backend's tokens are refused. The
// zero Keys holds no key: the app channel is off and Verify refuses
// everything. Keys are immutable and safe for concurrent use; printing
// them with fmt shows the kids only, never a secret.
type Keys struct {
	ids     []string          // in configuration order, for String
	secrets map[string][]byte // kid → secret
}

// ParseKeys reads keys written as "kid1:secret1,kid2:secret2". A kid is
// printable ASCII without spaces, ':' or ',' (at most 64 bytes); the
// secret is everything after the first ':', used as its bytes (it is not
// base64-decoded), at least MinSecretBytes long; whitespace around entries,
// kids and secrets is ignored. An empty spec gives the zero Keys and no
// error. The errors name an entry by its position, never by its contents,
// so that a misplaced secret does not end up in a log.
func ParseKeys(spec string) (Keys, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Keys{}, nil
	}
	entries := strings.Split(spec, ",")
	k := Keys{
		ids:     make([]string, 0, len(entries)),
		secrets: make(map[string][]byte, len(entries)),
	}
	first := make(map[string]int, len(entries)) // kid → entry number
	for i, entry := range entries {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return Keys{}, fmt.Errorf("app keys: entry %d is empty (want kid:secret, separated by commas)", n)
		}
		kid, secret, ok := strings.Cut(entry, ":")
		if !ok {
			return Keys{}, fmt.Errorf("app keys: entry %d has no ':' (want kid:secret)", n)
		}
		kid, secret = strings.TrimSpace(kid), strings.TrimSpace(secret)
		switch {
		case kid == "":
			return Keys{}, fmt.Errorf("app keys: entry %d has an empty kid", n)
		case len(kid) > maxKidBytes:
			return Keys{}, fmt.Errorf("app keys: entry %d: the kid is longer than %d bytes", n, maxKidBytes)
		case !printableASCII(kid):
			return Keys{}, fmt.Errorf("app keys: entry %d: the kid must be printable ASCII without spaces", n)
		case secret == "":
			return Keys{}, fmt.Errorf("app keys: entry %d has an empty secret", n)
		case len(secret) < MinSecretBytes:
			return Keys{}, fmt.Errorf("app keys: entry %d: the secret is %d bytes, want at least %d (HMAC-SHA256 needs a 256-bit key; e.g. openssl rand -base64 48)",
				n, len(secret), MinSecretBytes)
		}
		if m, dup := first[kid]; dup {
			return Keys{}, fmt.Errorf("app keys: entries %d and %d have the same kid", m, n)
		}
		first[kid] = n
		k.ids = append(k.ids, kid)
		k.secrets[kid] = []byte(secret)
	}
	return k, nil
}

// printableASCII reports whether s is made of '!'…'~' only, ':' and ','
// excepted.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == ':' || c == ',' {
			return false
		}
	}
	return true
}

// Len is the number of keys; the app channel is on when it is at least 1.
func (k Keys) Len() int { return len(k.ids) }

// String lists the kids, for logs: "app keys [2025a 2025b]".
func (k Keys) String() string {
	return "app keys [" + strings.Join(k.ids, " ") + "]"
}

// Format prints String whatever the verb, so that neither %v, %+v nor %#v
// (nor a logger using them) can print a secret.
func (k Keys) Format(f fmt.State, verb rune) {
	_, _ = io.WriteString(f, k.String())
}

// Identity is the app user a verified token speaks for.
type Identity struct {
	// User is the app's user id (the sub claim). One user's devices
	// share one conversation.
	User string
	// Name is the name claim for agents to see, control characters
	// removed, trimmed and cut at MaxNameRunes; empty when absent.
	Name string
	// Phone is the phone claim when it is a mainland mobile number
	// (1[3-9] and nine digits); anything else is dropped, leaving it
	// empty, since the citizen can still type a number when one is needed.
	Phone string
	// Expires is when the token stops being valid (exp). A connection
	// opened with the token may outlive it; a new one needs a new token.
	Expires time.Time
}

// claims are the token's payload. name and phone are decoded as anything,
// so that an optional claim of the wrong JSON type is dropped instead of
// refusing the whole token.
type claims struct {
	jwt.RegisteredClaims
	Name  any `json:"name,omitempty"`
	Phone any `json:"phone,omitempty"`
}

// Verify checks a token from the app's backend at time now and returns the
// identity it vouches for. It accepts HS256 only, signed with the secret
// of the token's kid; exp, iat and sub are required, nbf is honoured when
// present, exp, iat and nbf with Leeway for clock differences, and a
// lifetime exp − iat over MaxTokenLifetime is refused. Every error is one
// of the ErrToken…/ErrUnknownKey sentinels (test with errors.Is), and its
// text never quotes the token or its claims: the token is a credential
// and its claims are personal data.
func (k Keys) Verify(token string, now time.Time) (Identity, error) {
	if k.Len() == 0 {
		return Identity{}, fmt.Errorf("%w: no keys configured", ErrUnknownKey)
	}
	if token == "" || len(token) > MaxTokenBytes {
		return Identity{}, ErrTokenMalformed
	}
	var c claims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	)
	tok, err := p.ParseWithClaims(token, &c, k.secret)
	if err != nil {
		return Identity{}, rejection(tok, err)
	}
	return c.identity()
}

// secret is the parser's key function: the secret of the token's kid.
// The parser has checked the algorithm before calling it.
func (k Keys) secret(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, ErrTokenAlgorithm
	}
	v, ok := t.Header["kid"]
	if !ok {
		return nil, errNoKid
	}
	kid, ok := v.(string)
	if !ok {
		return nil, errUnknownKid
	}
	s, ok := k.secrets[kid]
	if !ok {
		return nil, errUnknownKid
	}
	return s, nil
}

// rejection maps the jwt package's error onto this package's sentinels,
// with a fixed text that says what was wrong but quotes nothing from the
// token. Which checks ran tells what is known: the algorithm is checked
// before the key, the signature before the claims.
func rejection(t *jwt.Token, err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ErrTokenMalformed
	case t == nil:
		return ErrTokenMalformed
	case t.Header["alg"] != algorithm || errors.Is(err, ErrTokenAlgorithm):
		return ErrTokenAlgorithm
	case errors.Is(err, errNoKid):
		return errNoKid
	case errors.Is(err, errUnknownKid):
		return errUnknownKid
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return fmt.Errorf("%w: no exp claim", ErrTokenClaims)
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return fmt.Errorf("%w: nbf is in the future", ErrTokenNotYet)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return fmt.Errorf("%w: iat is in the future", ErrTokenNotYet)
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return ErrTokenClaims
	default:
		return ErrTokenMalformed
	}
}

// identity checks what the jwt package does not and builds the Identity.
// exp is known to be present: the parser requires it.
func (c *claims) identity() (Identity, error) {
	switch {
	case c.IssuedAt == nil:
		return Identity{}, fmt.Errorf("%w: no iat claim", ErrTokenClaims)
	case !c.ExpiresAt.After(c.IssuedAt.Time):
		return Identity{}, fmt.Errorf("%w: exp is not after iat", ErrTokenClaims)
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxTokenLifetime:
		return Identity{}, fmt.Errorf("%w: lifetime exp - iat over %v", ErrTokenClaims, MaxTokenLifetime)
	case c.Subject == "":
		return Identity{}, fmt.Errorf("%w: no sub claim", ErrTokenClaims)
	case len(c.Subject) > MaxUserBytes:
		return Identity{}, fmt.Errorf("%w: sub longer than %d bytes", ErrTokenClaims, MaxUserBytes)
	case strings.IndexFunc(c.Subject, unicode.IsControl) >= 0:
		return Identity{}, fmt.Errorf("%w: sub has control characters", ErrTokenClaims)
	}
	id := Identity{
		User:    c.Subject,
		Expires: c.ExpiresAt.UTC(),
	}
	if s, ok := c.Name.(string); ok {
		id.Name = cleanName(s)
	}
	if s, ok := c.Phone.(string); ok && mobile(s) {
		id.Phone = s
	}
	return id, nil
}

// cleanName removes control characters and bidirectional overrides (which
// could make the name display as something else in the agents' console),
// trims spaces and cuts the name at MaxNameRunes. A long name is cut
// rather than refused: it is only shown to agents, and refusing the token
// would lock the user out of the hotline over a display field.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxNameRunes {
		s = strings.TrimSpace(string(r[:MaxNameRunes]))
	}
	return s
}

// mobile reports whether s is a mainland mobile number: 11 digits, 1 then
// 3…9. Other forms (+86, spaces, dashes) are not normalised: the claim
// comes from the app's backend, which can send it plainly.
func mobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
