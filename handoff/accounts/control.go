package accounts

import (
	"encoding/json"
	"errors"
	"net/http"
)

// ControlHandler serves the account operations of `hotline agent` on the
// control socket, for when a running server holds the embedded store:
//
//	GET  /agents                     {"agents":[…]}
//	GET  /agents/{user}              the account
//	POST /agents                     {"agent":{…},"password":"…"} → 201 the account
//	POST /agents/{user}/password     {"password":"…"} → 204
//	POST /agents/{user}/disable      → 204
//	POST /agents/{user}/enable       → 204
//
// Accounts are answered without password hashes. Errors are
// {"error":{"code","message"}} with the codes exists (409), not_found
// (404), invalid (400), bad_request (400) and internal (500). The handler
// does no authentication: whoever may open the socket (its file mode is
// 0600) may manage accounts. Never serve it on a network listener.
func (s *Service) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agents", func(w http.ResponseWriter, r *http.Request) {
		agents, err := s.List(r.Context())
		if err != nil {
			s.controlError(w, err)
			return
		}
		for i, a := range agents {
			agents[i] = a.Public()
		}
		writeJSON(w, http.StatusOK, map[string][]Agent{"agents": agents})
	})
	mux.HandleFunc("GET /agents/{user}", func(w http.ResponseWriter, r *http.Request) {
		a, err := s.Get(r.Context(), r.PathValue("user"))
		if err != nil {
			s.controlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, a.Public())
	})
	mux.HandleFunc("POST /agents", func(w http.ResponseWriter, r *http.Request) {
		var req addRequest
		if !readControl(w, r, &req) {
			return
		}
		a, err := s.Add(r.Context(), req.Agent, req.Password)
		if err != nil {
			s.controlError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, a.Public())
	})
	mux.HandleFunc("POST /agents/{user}/password", func(w http.ResponseWriter, r *http.Request) {
		var req passwordRequest
		if !readControl(w, r, &req) {
			return
		}
		s.controlDone(w, s.SetPassword(r.Context(), r.PathValue("user"), req.Password))
	})
	mux.HandleFunc("POST /agents/{user}/disable", func(w http.ResponseWriter, r *http.Request) {
		s.controlDone(w, s.SetDisabled(r.Context(), r.PathValue("user"), true))
	})
	mux.HandleFunc("POST /agents/{user}/enable", func(w http.ResponseWriter, r *http.Request) {
		s.controlDone(w, s.SetDisabled(r.Context(), r.PathValue("user"), false))
	})
	return mux
}

type addRequest struct {
	Agent    Agent  `json:"agent"`
	Password string `json:"password"`
}

type passwordRequest struct {
	Password string `json:"password"`
}

// controlFailure is the error body of the control API, as the admin API's.
type controlFailure struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// controlCodes pairs the control API's error codes with the errors they
// stand for, both ways.
var controlCodes = []struct {
	code   string
	status int
	err    error
}{
	{"exists", http.StatusConflict, ErrExists},
	{"not_found", http.StatusNotFound, ErrNotFound},
	{"invalid", http.StatusBadRequest, ErrInvalid},
}

func readControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeControlError(w, http.StatusBadRequest, "bad_request", "bad request body: "+err.Error())
		return false
	}
	return true
}

func (s *Service) controlDone(w http.ResponseWriter, err error) {
	if err != nil {
		s.controlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) controlError(w http.ResponseWriter, err error) {
	for _, c := range controlCodes {
		if errors.Is(err, c.err) {
			writeControlError(w, c.status, c.code, err.Error())
			return
		}
	}
	s.log.Error("agent control", "err", err)
	writeControlError(w, http.StatusInternalServerError, "internal", err.Error())
}

func writeControlError(w http.ResponseWriter, status int, code, message string) {
	var f controlFailure
	f.Error.Code, f.Error.Message = code, message
	writeJSON(w, status, f)
}
