// Package server wires hotline together: configuration, the HTTP routes,
// health and readiness, metrics, the embedded web pages and the channels in
// front of the core (store, knowledge base, bot).
//
// Routes:
//
//	/            demo page of the hotline with the widget
//	/widget.js   the widget, embeddable with one <script> tag
//	/ws/chat     the widget's WebSocket (docs/PROTOCOL.md)
//	/agent       the agents' console
//	/ws/agent    the console's WebSocket (docs/PROTOCOL.md)
//	/api/v1/     sign-in for agents, the admin API (docs/API.md)
//	/healthz     200 while the process serves HTTP
//	/readyz      200 once the store, the index and the segmenter are ready
//	/metrics     Prometheus text format
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotline12345/hotline/channels/app"
	webch "github.com/hotline12345/hotline/channels/web"
	"github.com/hotline12345/hotline/channels/wechat"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/stats"
	"github.com/hotline12345/hotline/web"
)

// Options are what a caller adds to Config that has no setting.
type Options struct {
	// Logger receives the server's logs. Default: text on stderr at the
	// configured level.
	Logger *slog.Logger
	// Segmenter, when set, is shared instead of loading a new one.
	Segmenter *nlu.Segmenter
	// Parser, when set, is shared instead of loading or training the NLU
	// models.
	Parser *nlu.Parser
}

// Server is one hotline instance.
type Server struct {
	cfg  Config
	opts Options
	log  *slog.Logger

	registry *prometheus.Registry
	http     *http.Server
	ln       net.Listener
	served   chan error

	mu     sync.Mutex // guards core and chat until ready
	core   *Core
	chat   *webch.Channel
	agents *agents
	wechat *wechat.Channel
	app    *appChannel
	api    atomic.Pointer[http.ServeMux] // /api/v1/…, set once ready
	ready  atomic.Bool

	stopSync context.CancelFunc // stops the knowledge base follower
	synced   chan struct{}      // closed when it has stopped
}

// New checks the configuration and returns a server that is not yet
// listening. It has no side effects.
func New(cfg Config, opts ...Options) (*Server, error) {
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = "text"
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := checkDepartmentTokens(cfg); err != nil {
		return nil, err
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = NewLogger(cfg.LogLevel, cfg.LogFormat)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Server{cfg: cfg, opts: o, log: o.Logger, registry: reg, served: make(chan error, 1)}, nil
}

// Start listens, serves /healthz and /readyz at once, loads the core and
// returns when the server is ready for citizens.
func (s *Server) Start() error {
	if err := ensureDir(s.cfg.DataDir); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() { s.served <- s.http.Serve(ln) }()

	core, err := OpenCore(context.Background(), CoreConfig{
		DataDir:     s.cfg.DataDir,
		KBDir:       s.cfg.KBDir,
		Segmenter:   s.opts.Segmenter,
		Parser:      s.opts.Parser,
		ModelDir:    s.cfg.ModelDir,
		Logger:      s.log,
		Registerer:  s.registry,
		RedisURL:    s.cfg.RedisURL,
		RedisPrefix: s.cfg.RedisPrefix,
	})
	if err != nil {
		s.http.Close()
		return err
	}
	hook, err := openWebhook(s.cfg, core.Store, s.log, s.registry)
	if err != nil {
		s.http.Close()
		core.Close()
		return err
	}
	ag, err := openAgents(s.cfg, core, s.log, s.registry)
	if err != nil {
		s.http.Close()
		core.Close()
		return err
	}
	wc, err := s.openWeChat(core, ag)
	if err != nil {
		s.http.Close()
		ag.close()
		core.Close()
		return err
	}
	ac, err := s.openApp(core, ag)
	if err != nil {
		s.http.Close()
		ag.close()
		core.Close()
		return err
	}
	chat, err := webch.New(webch.Config{
		Bot:            core.Bot,
		Store:          core.Store,
		Logger:         s.log,
		Registerer:     s.registry,
		AllowedOrigins: s.cfg.AllowedOrigins,
		QueueStatus:    ag.svc.QueueStatus,
	})
	if err != nil {
		s.http.Close()
		ag.close()
		core.Close()
		return err
	}
	api := http.NewServeMux()
	staff := newStaffAuth(s.cfg, ag.accounts, s.log)
	(&adminAPI{staff: staff, editor: core.editor, misses: core.Store, workorders: core.WorkOrders}).routes(api)
	agg, err := stats.New(stats.Config{Store: core.Store, Location: shanghaiZone(), Logger: s.log})
	if err == nil {
		err = registerStatsMetrics(s.registry, agg)
	}
	if err != nil {
		s.http.Close()
		ag.close()
		core.Close()
		return err
	}
	(&statsAPI{auth: staff.only(roleAdmin, roleSupervisor), stats: agg, log: s.log}).routes(api)
	api.Handle("/api/v1/login", ag.login)
	api.Handle("/api/v1/logout", ag.login)
	api.Handle("/api/v1/me", ag.login)
	if ac != nil {
		api.HandleFunc("GET "+app.AgentMediaPath+"{id}", s.serveAgentMedia(ag, ac.ch))
	}
	s.api.Store(api)

	syncCtx, stopSync := context.WithCancel(context.Background())
	s.stopSync, s.synced = stopSync, make(chan struct{})
	go func() {
		defer close(s.synced)
		hookStopped := runWebhook(syncCtx, hook) // the work order webhook, when set
		defer hookStopped()
		statsDone := make(chan struct{})
		go func() {
			defer close(statsDone)
			agg.Run(syncCtx, statsEvery) // keeps the figures and gauges current between requests
		}()
		defer func() { <-statsDone }()
		core.editor.run(syncCtx)
	}()

	s.mu.Lock()
	s.core, s.chat, s.agents, s.wechat, s.app = core, chat, ag, wc, ac
	s.mu.Unlock()
	s.ready.Store(true)
	s.log.Info("hotline is ready: open " + s.URL() + " in a browser to chat")
	return nil
}

// Addr is the address the server listens on (host:port), once started.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is where a person on this machine opens the demo page.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.Addr())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// Wait blocks until the HTTP server stops serving and returns why.
func (s *Server) Wait() error {
	err := <-s.served
	s.served <- err
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, closes the widget connections with
// a going-away frame, and flushes and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	s.mu.Lock()
	core, chat, ag, wc, ac := s.core, s.chat, s.agents, s.wechat, s.app
	s.core, s.chat, s.agents, s.wechat, s.app = nil, nil, nil, nil, nil
	s.mu.Unlock()
	if ac != nil {
		errs = append(errs, ac.close(ctx))
	}
	if wc != nil {
		errs = append(errs, wc.Wait(ctx)) // answers still being pushed
	}
	if chat != nil {
		errs = append(errs, chat.Shutdown(ctx))
	}
	if ag != nil {
		errs = append(errs, ag.console.Shutdown(ctx), ag.close())
	}
	if s.stopSync != nil {
		s.stopSync()
		<-s.synced
		s.stopSync = nil
	}
	if core != nil {
		errs = append(errs, core.Close())
	}
	s.log.Info("hotline stopped")
	return errors.Join(errs...)
}

// Run starts the server and serves until ctx ends, then shuts down
// gracefully within the configured timeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.served:
		s.served <- err
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(s.Shutdown(sctx), s.Wait())
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /ws/chat", s.serveChat)
	mux.HandleFunc("GET /ws/agent", s.serveAgent)
	if s.cfg.WeChatAppID != "" {
		mux.HandleFunc(s.cfg.WeChatPath, s.serveWeChat)
	}
	if s.cfg.AppKeys != "" {
		mux.HandleFunc("GET /ws/app", s.serveAppWS)
		mux.HandleFunc("/api/app/v1/", s.serveAppREST)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("/api/v1/", s.serveAPI)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	chat := s.chat
	s.mu.Unlock()
	if chat == nil || !s.ready.Load() {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "hotline is starting, please retry", http.StatusServiceUnavailable)
		return
	}
	chat.ServeHTTP(w, r)
}

func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ag := s.agents
	s.mu.Unlock()
	if ag == nil || !s.ready.Load() {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "hotline is starting, please retry", http.StatusServiceUnavailable)
		return
	}
	ag.console.ServeHTTP(w, r)
}

// serveAPI hands the admin API its requests once the core is loaded.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	api := s.api.Load()
	if api == nil || !s.ready.Load() {
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, "starting", "hotline is starting, please retry")
		return
	}
	api.ServeHTTP(w, r)
}

// serveReady answers 200 only when every part is ready, with a JSON body
// naming each check, so that an operator sees which part is not.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"store": "loading", "index": "loading", "segmenter": "loading"}
	s.mu.Lock()
	core := s.core
	s.mu.Unlock()
	ok := false
	if core != nil && s.ready.Load() {
		checks["index"], checks["segmenter"] = "ok", "ok"
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := core.Store.Ping(ctx); err != nil {
			checks["store"] = "unavailable"
		} else {
			checks["store"] = "ok"
			ok = true
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": checks})
}
