package accounts

import (
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CookieName is the session cookie of the agent console.
const CookieName = "hotline_agent"

// maxLoginBody bounds the login request body.
const maxLoginBody = 4 << 10

// Routes serves the sign-in API of docs/PROTOCOL.md ("Signing in"):
//
//	POST /api/v1/login   {"username","password"} → the profile, and the session cookie
//	POST /api/v1/logout  ends the session, clears the cookie → 204
//	GET  /api/v1/me      the profile, or 401
//
// The cookie is HttpOnly and SameSite=Strict, and Secure when secure is
// set (the gateway is reached over HTTPS through a proxy) or the request
// came over TLS; forwarded headers are not trusted. Requests whose Origin
// is not the gateway's own are refused with 403.
func (s *Service) Routes(secure bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) { s.login(w, r, secure) })
	mux.HandleFunc("POST /api/v1/logout", func(w http.ResponseWriter, r *http.Request) { s.logout(w, r, secure) })
	mux.HandleFunc("GET /api/v1/me", s.me)
	return mux
}

// FromRequest returns the agent signed in with the request's session
// cookie: ErrCrossOrigin when the request comes from another site's page
// (answer 403), ErrNoSession when there is no valid session (answer 401).
// The agent WebSocket calls it before upgrading.
func (s *Service) FromRequest(r *http.Request) (Agent, error) {
	if !sameOrigin(r) {
		return Agent{}, ErrCrossOrigin
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return Agent{}, ErrNoSession
	}
	return s.Authenticate(r.Context(), c.Value)
}

// The errors the sign-in API answers with: "error" is shown to the agent,
// "code" is for scripts.
var (
	errBadOrigin     = loginError{http.StatusForbidden, "forbidden_origin", "请求来源不被允许"}
	errNotJSON       = loginError{http.StatusUnsupportedMediaType, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）"}
	errTooLarge      = loginError{http.StatusRequestEntityTooLarge, "too_large", "请求内容过长"}
	errBadRequest    = loginError{http.StatusBadRequest, "bad_request", "请求格式有误"}
	errWrongPassword = loginError{http.StatusUnauthorized, "bad_credentials", "用户名或密码错误"}
	errNotSignedIn   = loginError{http.StatusUnauthorized, "unauthorized", "请先登录"}
	errLockedOut     = loginError{http.StatusTooManyRequests, "locked", "登录失败次数过多，账号已暂时锁定，请稍后再试"}
	errInternal      = loginError{http.StatusInternalServerError, "internal", "服务暂时不可用，请稍后再试"}
)

type loginError struct {
	status  int
	code    string
	message string
}

func (e loginError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, map[string]string{"error": e.message, "code": e.code})
}

func (s *Service) login(w http.ResponseWriter, r *http.Request, secure bool) {
	if !sameOrigin(r) {
		errBadOrigin.write(w)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		errNotJSON.write(w)
		return
	}
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLoginBody)).Decode(&req)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		errTooLarge.write(w)
		return
	}
	if err != nil || req.Username == "" || req.Password == "" {
		errBadRequest.write(w)
		return
	}
	token, a, err := s.Login(r.Context(), req.Username, req.Password)
	if locked, ok := errors.AsType[*LockedError](err); ok {
		wait := math.Ceil(locked.Until.Sub(s.now()).Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait))))
		errLockedOut.write(w)
		return
	}
	switch {
	case errors.Is(err, ErrBadCredentials):
		errWrongPassword.write(w)
		return
	case err != nil:
		s.log.Error("agent login", "username", req.Username, "err", err)
		errInternal.write(w)
		return
	}
	// A session this browser had before ends: one cookie, one session.
	if old, err := r.Cookie(CookieName); err == nil {
		s.Logout(r.Context(), old.Value)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(s.cfg.SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, a.Profile())
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request, secure bool) {
	if !sameOrigin(r) {
		errBadOrigin.write(w)
		return
	}
	if c, err := r.Cookie(CookieName); err == nil {
		if err := s.Logout(r.Context(), c.Value); err != nil {
			s.log.Error("agent logout", "err", err)
			errInternal.write(w)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) me(w http.ResponseWriter, r *http.Request) {
	a, err := s.FromRequest(r)
	switch {
	case errors.Is(err, ErrCrossOrigin):
		errBadOrigin.write(w)
	case errors.Is(err, ErrNoSession):
		errNotSignedIn.write(w)
	case err != nil:
		s.log.Error("agent session", "err", err)
		errInternal.write(w)
	default:
		writeJSON(w, http.StatusOK, a.Profile())
	}
}

// sameOrigin reports whether the request has no Origin (not sent by a
// browser's cross-site request) or names the host it was sent to.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
