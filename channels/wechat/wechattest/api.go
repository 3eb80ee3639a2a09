package wechattest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"time"
)

// The API paths the fake serves, as on api.weixin.qq.com.
const (
	PathToken  = "/cgi-bin/token"
	PathSend   = "/cgi-bin/message/custom/send"
	PathTyping = "/cgi-bin/message/custom/typing"
	// PathStableToken is getStableAccessToken, used by silenceper/wechat
	// with UseStableAK.
	PathStableToken = "/cgi-bin/stable_token"
)

// WeChat's global error codes the fake returns, with its errmsg texts.
const (
	CodeOK              = 0     // ok
	CodeInvalidToken    = 40001 // invalid credential, access_token is invalid or not latest
	CodeInvalidGrant    = 40002 // invalid grant_type
	CodeInvalidOpenID   = 40003 // invalid openid
	CodeInvalidMsgType  = 40008 // invalid message type
	CodeInvalidAppID    = 40013 // invalid appid
	CodeInvalidURL      = 40066 // invalid url
	CodeInvalidSecret   = 40125 // invalid appsecret
	CodeTokenMissing    = 41001 // access_token missing
	CodeAppIDMissing    = 41002 // appid missing
	CodeSecretMissing   = 41004 // appsecret missing
	CodeTokenExpired    = 42001 // access_token expired
	CodeRequireGET      = 43001 // require GET method
	CodeRequirePOST     = 43002 // require POST method
	CodeEmptyContent    = 44004 // empty content
	CodeContentTooLong  = 45002 // content size out of limit
	CodeOutOfWindow     = 45015 // response out of time limit or subscription is canceled
	CodeOutOfQuota      = 45047 // out of response count limit
	CodeDataFormatError = 47001 // data format error
)

var errmsgs = map[int]string{
	CodeOK:              "ok",
	CodeInvalidToken:    "invalid credential, access_token is invalid or not latest",
	CodeInvalidGrant:    "invalid grant_type",
	CodeInvalidOpenID:   "invalid openid",
	CodeInvalidMsgType:  "invalid message type",
	CodeInvalidAppID:    "invalid appid",
	CodeInvalidURL:      "invalid url",
	CodeInvalidSecret:   "invalid appsecret",
	CodeTokenMissing:    "access_token missing",
	CodeAppIDMissing:    "appid missing",
	CodeSecretMissing:   "appsecret missing",
	CodeTokenExpired:    "access_token expired",
	CodeRequireGET:      "require GET method",
	CodeRequirePOST:     "require POST method",
	CodeEmptyContent:    "empty content",
	CodeContentTooLong:  "content size out of limit",
	CodeOutOfWindow:     "response out of time limit or subscription is canceled",
	CodeOutOfQuota:      "out of response count limit",
	CodeDataFormatError: "data format error",
}

// maxAPIBody bounds what the fake reads of a request body.
const maxAPIBody = 1 << 20

// CustomMessage is one customer-service message the API received.
type CustomMessage struct {
	ToUser  string
	MsgType string
	Content string    // text.content of a text message
	Raw     []byte    // the request body as received
	At      time.Time // platform clock
	ErrCode int       // what the API answered: 0 if accepted
	ErrMsg  string
}

// Typing is one accepted typing-status call.
type Typing struct {
	ToUser  string
	Command string // Typing or CancelTyping
	At      time.Time
}

// Fault is an answer the API gives instead of the real one, once.
type Fault struct {
	// Path is the API path it applies to (PathSend, …); "" means the next
	// call to any path.
	Path string
	// Status is the HTTP status to answer with; 0 means 200 with the
	// errcode below.
	Status int
	// ErrCode and ErrMsg are the JSON error to answer with (ErrMsg
	// defaults to WeChat's text for known codes; -1 is "system error").
	ErrCode int
	ErrMsg  string
}

// FailNext makes the next API call to f.Path answer with f instead.
// Faults queue up in order.
func (p *Platform) FailNext(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
}

// SetDelay makes every API call wait d before it is answered (or until
// the client gives up).
func (p *Platform) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// ExpireTokens invalidates every access token issued so far, as when the
// secret is reset or another process fetches a token: each gets 40001
// from now on.
func (p *Platform) ExpireTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		t.revoked = true
	}
}

// TokenFetches is how many requests reached the token endpoint,
// successful or not.
func (p *Platform) TokenFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetches
}

// Sent returns every customer-service message the API accepted, in order.
func (p *Platform) Sent() []CustomMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// Refused returns every customer-service message the API refused, with
// the error code it answered, in order.
func (p *Platform) Refused() []CustomMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refused)
}

// Typings returns every accepted typing-status call, in order.
func (p *Platform) Typings() []Typing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.typings)
}

// Server starts the API on a local port; point the channel's API base at
// its URL. The caller closes it.
func (p *Platform) Server() *httptest.Server { return httptest.NewServer(p.Handler()) }

// Handler serves WeChat's access token, customer-service message and
// typing endpoints with WeChat's JSON and error codes.
func (p *Platform) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay := p.delay
		p.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch r.URL.Path {
		case PathToken:
			p.serveToken(w, r)
		case PathStableToken:
			p.serveStableToken(w, r)
		case PathSend:
			p.serveSend(w, r)
		case PathTyping:
			p.serveTyping(w, r)
		default:
			if f, ok := p.fault(r.URL.Path); ok {
				writeFault(w, f)
				return
			}
			w.Header().Set("Content-Type", "application/json; encoding=utf-8")
			w.WriteHeader(http.StatusNotFound)
			writeJSON(w, errBody(CodeInvalidURL))
		}
	})
}

// fault takes the first queued fault for path.
func (p *Platform) fault(path string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if f.Path == "" || f.Path == path {
			p.faults = slices.Delete(p.faults, i, i+1)
			if f.ErrMsg == "" {
				f.ErrMsg = errmsgs[f.ErrCode]
				if f.ErrCode == -1 {
					f.ErrMsg = "system error"
				}
			}
			return f, true
		}
	}
	return Fault{}, false
}

type apiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func errBody(code int) apiError { return apiError{code, errmsgs[code]} }

func writeJSON(w http.ResponseWriter, v any) {
	if w.Header().Get("Content-Type") == "" {
		// WeChat's API really says "encoding", not "charset".
		w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	}
	_ = json.NewEncoder(w).Encode(v)
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Status != 0 && f.Status != http.StatusOK {
		http.Error(w, http.StatusText(f.Status), f.Status)
		return
	}
	writeJSON(w, apiError{f.ErrCode, f.ErrMsg})
}

// checkCredentials is the error code for a token request; 0 if good.
func (p *Platform) checkCredentials(grantType, appID, secret string) int {
	switch {
	case grantType != "client_credential":
		return CodeInvalidGrant
	case appID == "":
		return CodeAppIDMissing
	case appID != p.cfg.AppID:
		return CodeInvalidAppID
	case secret == "":
		return CodeSecretMissing
	case secret != p.cfg.Secret:
		return CodeInvalidSecret
	}
	return CodeOK
}

type tokenJSON struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (p *Platform) serveToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.fetches++
	p.mu.Unlock()
	if f, ok := p.fault(PathToken); ok {
		writeFault(w, f)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, errBody(CodeRequireGET))
		return
	}
	q := r.URL.Query()
	if code := p.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret")); code != CodeOK {
		writeJSON(w, errBody(code))
		return
	}
	p.mu.Lock()
	tok := p.issueToken(&p.current)
	p.mu.Unlock()
	writeJSON(w, tokenJSON{tok, int(p.cfg.TokenTTL / time.Second)})
}

// serveStableToken is getStableAccessToken: its tokens are separate from
// the plain endpoint's; without force_refresh it returns the current one
// while it is valid (with the seconds it has left), with force_refresh
// it issues a new one and the previous one is invalid at once.
func (p *Platform) serveStableToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.fetches++
	p.mu.Unlock()
	if f, ok := p.fault(PathStableToken); ok {
		writeFault(w, f)
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, errBody(CodeRequirePOST))
		return
	}
	var body struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxAPIBody)).Decode(&body); err != nil {
		writeJSON(w, errBody(CodeDataFormatError))
		return
	}
	if code := p.checkCredentials(body.GrantType, body.AppID, body.Secret); code != CodeOK {
		writeJSON(w, errBody(code))
		return
	}
	writeJSON(w, p.stableToken(body.ForceRefresh))
}

func (p *Platform) stableToken(force bool) tokenJSON {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur := p.tokens[p.stable]; cur != nil && !force && p.checkToken(p.stable) == CodeOK {
		left := cur.issued.Add(p.cfg.TokenTTL).Sub(p.now())
		return tokenJSON{p.stable, int((left + time.Second - 1) / time.Second)}
	}
	if cur := p.tokens[p.stable]; cur != nil {
		cur.revoked = true
	}
	return tokenJSON{p.issueToken(&p.stable), int(p.cfg.TokenTTL / time.Second)}
}

// issueToken makes a new token the newest of its endpoint (*current);
// the previous one stays valid for TokenOverlap. p.mu is held.
func (p *Platform) issueToken(current *string) string {
	// Real tokens are about 136 characters of this alphabet.
	tok := randomKey() + randomKey() + randomKey()
	now := p.now()
	if old := p.tokens[*current]; old != nil {
		old.superseded = now
	}
	p.tokens[tok] = &tokenState{issued: now}
	*current = tok
	return tok
}

// checkToken is the error code for calling with tok; p.mu is held.
func (p *Platform) checkToken(tok string) int {
	t := p.tokens[tok]
	now := p.now()
	switch {
	case tok == "":
		return CodeTokenMissing
	case t == nil || t.revoked:
		return CodeInvalidToken
	case !t.superseded.IsZero() && !now.Before(t.superseded.Add(p.cfg.TokenOverlap)):
		return CodeInvalidToken
	case !now.Before(t.issued.Add(p.cfg.TokenTTL)):
		return CodeTokenExpired
	}
	return CodeOK
}

// checkWindow is the error code for sending to openID now; p.mu is held.
func (p *Platform) checkWindow(openID string) int {
	u := p.users[openID]
	switch {
	case u == nil:
		return CodeInvalidOpenID
	case u.unsubscribed || !p.now().Before(u.last.Add(p.cfg.Window)):
		return CodeOutOfWindow
	}
	return CodeOK
}

type customJSON struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Command string `json:"command"` // typing
}

var customTypes = map[string]bool{
	"text": true, "image": true, "voice": true, "video": true, "music": true,
	"news": true, "mpnews": true, "mpnewsarticle": true, "msgmenu": true,
	"wxcard": true, "miniprogrampage": true,
}

func (p *Platform) serveSend(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxAPIBody))
	var body customJSON
	jsonErr := json.Unmarshal(raw, &body)
	msg := CustomMessage{ToUser: body.ToUser, MsgType: body.MsgType, Raw: raw}
	if body.Text != nil {
		msg.Content = body.Text.Content
	}

	if f, ok := p.fault(PathSend); ok {
		p.mu.Lock()
		msg.At, msg.ErrCode, msg.ErrMsg = p.now(), f.ErrCode, f.ErrMsg
		if f.Status != 0 && f.Status != http.StatusOK {
			msg.ErrMsg = "HTTP " + strconv.Itoa(f.Status)
		}
		p.refused = append(p.refused, msg)
		p.mu.Unlock()
		writeFault(w, f)
		return
	}

	writeJSON(w, errBody(p.send(r, body, jsonErr, msg)))
}

// send applies the customer-service rules to one message, records it and
// returns the error code.
func (p *Platform) send(r *http.Request, body customJSON, jsonErr error, msg CustomMessage) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg.At = p.now()
	tokenCode := p.checkToken(r.URL.Query().Get("access_token"))
	code := CodeOK
	switch {
	case r.Method != http.MethodPost:
		code = CodeRequirePOST
	case tokenCode != CodeOK:
		code = tokenCode
	case jsonErr != nil:
		code = CodeDataFormatError
	case body.ToUser == "":
		code = CodeInvalidOpenID
	case !customTypes[body.MsgType]:
		code = CodeInvalidMsgType
	case body.MsgType == "text" && msg.Content == "":
		code = CodeEmptyContent
	case body.MsgType == "text" && len(msg.Content) > p.cfg.MaxTextBytes:
		code = CodeContentTooLong
	default:
		code = p.checkWindow(body.ToUser)
		if code == CodeOK && p.users[body.ToUser].sent >= p.cfg.WindowLimit {
			code = CodeOutOfQuota
		}
	}
	msg.ErrCode, msg.ErrMsg = code, errmsgs[code]
	if code == CodeOK {
		p.users[body.ToUser].sent++
		p.sent = append(p.sent, msg)
	} else {
		p.refused = append(p.refused, msg)
	}
	return code
}

func (p *Platform) serveTyping(w http.ResponseWriter, r *http.Request) {
	if f, ok := p.fault(PathTyping); ok {
		writeFault(w, f)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxAPIBody))
	var body customJSON
	jsonErr := json.Unmarshal(raw, &body)

	writeJSON(w, errBody(p.typing(r, body, jsonErr)))
}

// typing checks and records one typing-status call.
func (p *Platform) typing(r *http.Request, body customJSON, jsonErr error) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	tokenCode := p.checkToken(r.URL.Query().Get("access_token"))
	code := CodeOK
	switch {
	case r.Method != http.MethodPost:
		code = CodeRequirePOST
	case tokenCode != CodeOK:
		code = tokenCode
	case jsonErr != nil || (body.Command != "Typing" && body.Command != "CancelTyping"):
		code = CodeDataFormatError
	case body.ToUser == "":
		code = CodeInvalidOpenID
	default:
		code = p.checkWindow(body.ToUser)
	}
	if code == CodeOK {
		p.typings = append(p.typings, Typing{ToUser: body.ToUser, Command: body.Command, At: p.now()})
	}
	return code
}
