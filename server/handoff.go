package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// agents is the hand-off to human agents wired for serving: the service,
// the accounts and the console endpoint.
type agents struct {
	svc      *handoff.Service
	accounts *accounts.Service
	console  *handoff.Console
	login    http.Handler

	stop    context.CancelFunc
	stopped chan struct{}
	control func() error // closes the control socket; nil with Redis
}

// openAgents builds the hand-off on the core and connects the bot to it.
func openAgents(cfg Config, core *Core, log *slog.Logger, reg prometheus.Registerer) (*agents, error) {
	depts, err := loadDepartments(filepath.Join(cfg.KBDir, "departments.yaml"))
	if err != nil {
		return nil, err
	}
	hours, err := handoff.ParseHours(cfg.ServiceHours)
	if err != nil {
		return nil, fmt.Errorf("service_hours: %w", err)
	}
	cal, err := handoff.LoadCalendar(filepath.Join(cfg.KBDir, "handoff", "calendar.yaml"))
	if err != nil {
		return nil, err
	}
	phrases, err := handoff.LoadPhrases(filepath.Join(cfg.KBDir, "handoff", "phrases.yaml"))
	if err != nil {
		return nil, err
	}
	svc, err := handoff.New(handoff.Config{
		Store:      core.Store,
		Poster:     core.Bot,
		Schedule:   handoff.NewSchedule(hours, cal, nil),
		Rules:      handoff.Rules{AcceptTimeout: cfg.AcceptTimeout, Grace: cfg.AgentGrace},
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, d := range depts {
		known[d.Code] = true
	}
	acc, err := accounts.New(accounts.Config{
		Store:      core.Store,
		ValidSkill: func(code string) bool { return known[code] },
		Logger:     log,
	})
	if err != nil {
		return nil, err
	}
	desk := &consoleOrders{orders: core.WorkOrders, store: core.Store, parser: core.Parser, log: log, now: time.Now}
	console, err := handoff.NewConsole(handoff.ConsoleConfig{
		Service: svc,
		Authenticate: func(r *http.Request) (handoff.Profile, error) {
			a, err := acc.FromRequest(r)
			if err != nil {
				return handoff.Profile{}, err
			}
			p := a.Profile()
			return handoff.Profile{Username: p.Username, Name: p.Name, Role: string(p.Role), Skills: p.Skills, MaxChats: p.MaxChats}, nil
		},
		Assist:      assist(core.KB),
		Understand:  understand(core.Parser),
		Phrases:     phrases,
		Departments: depts,
		Intents:     intents,
		Orders:      desk,
		HotIssues:   desk,
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	handoffIntents := make([]nlu.Intent, 0, len(cfg.HandoffIntents))
	for _, in := range cfg.HandoffIntents {
		handoffIntents = append(handoffIntents, nlu.Intent(in))
	}
	core.Bot.SetHandoff(svc, handoffIntents)

	a := &agents{svc: svc, accounts: acc, console: console, login: acc.Routes(cfg.CookieSecure), stopped: make(chan struct{})}
	if cfg.RedisURL == "" {
		// `hotline agent …` reaches the accounts through this socket
		// while the server holds the store file.
		a.control, err = ListenControl(cfg.DataDir, acc.ControlHandler(), log)
		if err != nil {
			return nil, err
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go func() {
		defer close(a.stopped)
		var wg sync.WaitGroup
		wg.Go(func() { console.Run(ctx) }) // the supervisors' hot issues
		svc.Run(ctx)
		wg.Wait()
	}()
	return a, nil
}

// close stops the timing rules and the control socket; the console's
// connections are closed by shutdown first.
func (a *agents) close() error {
	a.stop()
	<-a.stopped
	if a.control != nil {
		return a.control()
	}
	return nil
}

// intents are the appeal types of the wrap-up form.
var intents = []string{
	string(nlu.IntentConsult), string(nlu.IntentComplaint), string(nlu.IntentReport), string(nlu.IntentHelp),
	string(nlu.IntentSuggestion), string(nlu.IntentPraise), string(nlu.IntentTicketStatus), string(nlu.IntentOther),
}

// assist suggests knowledge base entries for a citizen's message.
func assist(kb *knowledge.Base) func(ctx context.Context, text string) []handoff.Suggestion {
	return func(ctx context.Context, text string) []handoff.Suggestion {
		res, err := kb.Search(ctx, text, knowledge.SearchOptions{Limit: 3})
		if err != nil {
			return nil
		}
		out := []handoff.Suggestion{}
		for _, h := range res.Hits {
			if len(out) == 3 {
				break
			}
			e := h.Entry
			src := e.Source.Title
			if e.Source.Number != "" {
				src += "（" + e.Source.Number + "）"
			}
			out = append(out, handoff.Suggestion{ID: e.ID, Question: e.Question, Answer: e.Answer, Source: src})
		}
		return out
	}
}

// nluView is what the console shows of the NLU's reading of a message.
type nluView struct {
	Intent               nlu.Intent   `json:"intent"`
	IntentConfidence     float64      `json:"intent_confidence"`
	Department           string       `json:"department"`
	DepartmentConfidence float64      `json:"department_confidence"`
	Urgency              nlu.Urgency  `json:"urgency"`
	Entities             []nlu.Entity `json:"entities"`
}

func understand(p *nlu.Parser) func(text string) any {
	return func(text string) any {
		r := p.Parse(text, time.Now())
		round := func(x float64) float64 { v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64); return v }
		return nluView{Intent: r.Intent, IntentConfidence: round(r.IntentConfidence), Department: r.Department,
			DepartmentConfidence: round(r.DepartmentConfidence), Urgency: r.Urgency, Entities: r.Entities}
	}
}

// loadDepartments reads the codes and names of kb-data/departments.yaml
// (`hotline kb lint` checks the file in full).
func loadDepartments(path string) ([]handoff.Department, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Departments []handoff.Department `yaml:"departments"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, d := range doc.Departments {
		if d.Code == "" || d.Name == "" || strings.ContainsAny(d.Code, " \t") {
			return nil, fmt.Errorf("%s: department %d: code and name are required", path, i+1)
		}
	}
	return doc.Departments, nil
}

// Accounts returns the agents' accounts once the server has started (for
// tools and tests that embed the server).
func (s *Server) Accounts() *accounts.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agents == nil {
		return nil
	}
	return s.agents.accounts
}

// Handoff returns the hand-off service once the server has started.
func (s *Server) Handoff() *handoff.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agents == nil {
		return nil
	}
	return s.agents.svc
}

// Store returns the store once the server has started (for tools and
// tests that embed the server).
func (s *Server) Store() store.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.core == nil {
		return nil
	}
	return s.core.Store
}

// WorkOrders returns the work orders once the server has started.
func (s *Server) WorkOrders() *workorder.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.core == nil {
		return nil
	}
	return s.core.WorkOrders
}
