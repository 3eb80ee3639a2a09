package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// maxAdminBody bounds an admin request body; an entry is a few KiB.
const maxAdminBody = 256 << 10

// adminAPI is the knowledge base admin API under /api/v1/kb/. It is on only
// when an admin token is configured; requests carry it as a bearer token.
type adminAPI struct {
	token  string
	editor *kbEditor
	misses store.Misses
	// workorders, when set, adds the work order API (workorders.go).
	workorders *workorder.Service
}

func (a *adminAPI) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/kb/entries", a.auth(a.list))
	mux.Handle("POST /api/v1/kb/entries", a.auth(a.create))
	mux.Handle("GET /api/v1/kb/entries/{id}", a.auth(a.get))
	mux.Handle("PUT /api/v1/kb/entries/{id}", a.auth(a.update))
	mux.Handle("DELETE /api/v1/kb/entries/{id}", a.auth(a.retire))
	mux.Handle("GET /api/v1/kb/misses", a.auth(a.listMisses))
	(&workorderAPI{auth: a.auth, orders: a.workorders, audit: a.editor.store, log: a.editor.log}).routes(mux)
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

func (a *adminAPI) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.token == "" {
			writeError(w, http.StatusNotFound, "admin_disabled", "the admin API is off: set HOTLINE_ADMIN_TOKEN to turn it on")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid admin bearer token is required")
			return
		}
		next(w, r)
	})
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
	ed, err := a.editor.edit(r.Context(), "admin-token", upsert, retire)
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
