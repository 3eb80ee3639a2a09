package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// maxAdminBody bounds an admin request body; an entry is a few KiB.
const maxAdminBody = 256 << 10

// adminAPI is the knowledge base admin API under /api/v1/kb/, for the
// admin token and signed-in admins, and the work order API beside it.
type adminAPI struct {
	staff  *staffAuth
	editor *kbEditor
	misses store.Misses
	// workorders, when set, adds the work order API (workorders.go).
	workorders *workorder.Service
}

func (a *adminAPI) routes(mux *http.ServeMux) {
	admins := a.staff.only(roleAdmin)
	mux.Handle("GET /api/v1/kb/entries", admins(a.list))
	mux.Handle("POST /api/v1/kb/entries", admins(a.create))
	mux.Handle("GET /api/v1/kb/entries/{id}", admins(a.get))
	mux.Handle("PUT /api/v1/kb/entries/{id}", admins(a.update))
	mux.Handle("DELETE /api/v1/kb/entries/{id}", admins(a.retire))
	mux.Handle("GET /api/v1/kb/misses", admins(a.listMisses))
	(&workorderAPI{staff: a.staff, orders: a.workorders, audit: a.editor.store, log: a.editor.log}).routes(mux)
}

// staffRole is what a caller of the staff APIs may do.
type staffRole string

// The staff roles. Admins, supervisors and agents are console accounts
// (handoff/accounts) signed in with a session cookie; the admin token
// acts as an admin, a department token as its department.
const (
	roleAdmin      staffRole = "admin"
	roleSupervisor staffRole = "supervisor"
	roleAgent      staffRole = "agent"
	roleDepartment staffRole = "department"
)

// actor is who makes a staff API request.
type actor struct {
	// Name is written into audit entries and work order histories:
	// "admin" for the admin token, the username of a session,
	// "department:<code>" for a department token.
	Name string
	Role staffRole
	// Department is the department code of a department token.
	Department string
	// Token is set when the request carried a bearer token (the admin or
	// a department token) rather than a session cookie.
	Token bool
}

// departmentActorPrefix is the prefix of a department token's actor name.
const departmentActorPrefix = "department:"

// staffAuth authenticates the staff APIs: the admin token, department
// tokens (bearer tokens, compared in constant time) and the console's
// sign-in sessions (cookies, refused from another origin).
type staffAuth struct {
	adminToken  string
	departments []departmentToken
	// accounts, when set, accepts console sessions.
	accounts *accounts.Service
	log      *slog.Logger
}

// newStaffAuth builds the authenticator from settings that passed
// Validate (New also checked the department codes, checkDepartmentTokens);
// acc, when set, accepts the console's sessions.
func newStaffAuth(cfg Config, acc *accounts.Service, log *slog.Logger) *staffAuth {
	tokens, _ := parseDepartmentTokens(cfg.DepartmentTokens) // valid: Validate parsed them
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &staffAuth{adminToken: cfg.AdminToken, departments: tokens, accounts: acc, log: log}
}

type actorKey struct{}

// actorOf returns the actor of a request that staffAuth.only let through.
func actorOf(ctx context.Context) actor {
	a, _ := ctx.Value(actorKey{}).(actor)
	return a
}

// only returns a middleware that serves only the listed roles: requests
// without valid credentials get 401, those of another role 403, and the
// handler finds the actor with actorOf. The statistics API uses it as
// staff.only(roleAdmin, roleSupervisor).
func (s *staffAuth) only(roles ...staffRole) func(http.HandlerFunc) http.Handler {
	return func(next http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			who, ok := s.authenticate(w, r)
			if !ok {
				return
			}
			if !slices.Contains(roles, who.Role) {
				writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("%s (%s) may not do this", who.Name, who.Role))
				return
			}
			next(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, who)))
		})
	}
}

// authenticate finds the actor of r, or answers the request itself.
func (s *staffAuth) authenticate(w http.ResponseWriter, r *http.Request) (actor, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		got, ok := strings.CutPrefix(h, "Bearer ")
		if ok {
			if who, ok := s.token(got); ok {
				return who, true
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hotline staff"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "the bearer token is not valid")
		return actor{}, false
	}
	if s.accounts != nil {
		if _, err := r.Cookie(accounts.CookieName); err == nil {
			ag, err := s.accounts.FromRequest(r)
			switch {
			case errors.Is(err, accounts.ErrCrossOrigin):
				writeError(w, http.StatusForbidden, "forbidden_origin", "requests with a session cookie must come from the gateway's own pages")
				return actor{}, false
			case errors.Is(err, accounts.ErrNoSession):
				writeError(w, http.StatusUnauthorized, "unauthorized", "the session has ended: sign in again")
				return actor{}, false
			case err != nil:
				s.log.Error("staff API: session not read", "err", err)
				writeError(w, http.StatusServiceUnavailable, "unavailable", "the session could not be checked; try again")
				return actor{}, false
			}
			role := roleAgent
			switch ag.Role {
			case accounts.RoleAdmin:
				role = roleAdmin
			case accounts.RoleSupervisor:
				role = roleSupervisor
			}
			return actor{Name: ag.Username, Role: role}, true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="hotline staff"`)
	writeError(w, http.StatusUnauthorized, "unauthorized", "a bearer token or a staff session is required")
	return actor{}, false
}

// token returns the actor of a bearer token. Every configured token is
// compared, in constant time, whichever matches: the time taken does not
// tell which token, or how much of one, was right.
func (s *staffAuth) token(got string) (actor, bool) {
	var (
		who   actor
		found bool
	)
	if s.adminToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.adminToken)) == 1 {
		who, found = actor{Name: adminActor, Role: roleAdmin, Token: true}, true
	}
	for _, d := range s.departments {
		if subtle.ConstantTimeCompare([]byte(got), []byte(d.token)) == 1 {
			who, found = actor{Name: departmentActorPrefix + d.code, Role: roleDepartment, Department: d.code, Token: true}, true
		}
	}
	return who, found
}

// apiError is the body of every error answer: a stable code and a message.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (a *adminAPI) list(w http.ResponseWriter, r *http.Request) {
	dept := r.URL.Query().Get("department")
	q := r.URL.Query().Get("q")
	entries := []knowledge.Entry{}
	for _, e := range a.editor.kb.Entries() {
		if dept != "" && e.Department != dept {
			continue
		}
		if q != "" && !strings.Contains(e.Question, q) && !strings.Contains(e.ID, q) {
			continue
		}
		entries = append(entries, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(entries), "entries": entries})
}

func (a *adminAPI) get(w http.ResponseWriter, r *http.Request) {
	e, ok := a.editor.current(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no entry with this id")
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (a *adminAPI) create(w http.ResponseWriter, r *http.Request) {
	e, ok := a.readEntry(w, r, "")
	if !ok {
		return
	}
	if _, exists := a.editor.current(e.ID); exists {
		writeError(w, http.StatusConflict, "exists", "an entry with this id exists: update it with PUT")
		return
	}
	a.save(w, r, &e, "", http.StatusCreated)
}

func (a *adminAPI) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, ok := a.readEntry(w, r, id)
	if !ok {
		return
	}
	if _, exists := a.editor.current(id); !exists {
		writeError(w, http.StatusNotFound, "not_found", "no entry with this id: create it with POST")
		return
	}
	a.save(w, r, &e, "", http.StatusOK)
}

func (a *adminAPI) retire(w http.ResponseWriter, r *http.Request) {
	a.save(w, r, nil, r.PathValue("id"), http.StatusOK)
}

func (a *adminAPI) save(w http.ResponseWriter, r *http.Request, upsert *knowledge.Entry, retire string, status int) {
	by := actorOf(r.Context()).Name
	if by == adminActor {
		by = "admin-token" // as edits made before sessions were accepted
	}
	ed, err := a.editor.edit(r.Context(), by, upsert, retire)
	switch {
	case errors.Is(err, knowledge.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no entry with this id")
	case errors.Is(err, knowledge.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid", err.Error())
	case errors.Is(err, store.ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the change could not be saved; nothing was changed, try again")
	case err != nil:
		writeError(w, http.StatusInternalServerError, "internal", "the change failed; nothing was changed")
	case upsert == nil:
		writeJSON(w, status, map[string]any{"retired": retire, "version": ed.Version})
	default:
		writeJSON(w, status, map[string]any{"entry": upsert, "version": ed.Version})
	}
}

// readEntry decodes and validates an entry from the body. For an update,
// the body's id must be empty or the path's.
func (a *adminAPI) readEntry(w http.ResponseWriter, r *http.Request, id string) (knowledge.Entry, bool) {
	var e knowledge.Entry
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "the body must be one knowledge base entry as JSON: "+err.Error())
		return e, false
	}
	if id != "" {
		if e.ID != "" && e.ID != id {
			writeError(w, http.StatusBadRequest, "id_mismatch", "the entry's id differs from the id in the path")
			return e, false
		}
		e.ID = id
	}
	if err := knowledge.ValidateEntry(e); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid", err.Error())
		return e, false
	}
	return e, true
}

func (a *adminAPI) listMisses(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, "bad_limit", "limit must be 1..10000")
			return
		}
		limit = n
	}
	misses, err := a.misses.Misses(r.Context(), limit)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "misses could not be read, try again")
		return
	}
	if misses == nil {
		misses = []store.Miss{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"misses": misses})
}
