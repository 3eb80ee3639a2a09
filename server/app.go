package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/channels/app"
	"github.com/hotline12345/hotline/store"
)

// appChannel is the city app's channel with its push worker.
type appChannel struct {
	ch      *app.Channel
	rest    http.Handler
	stop    context.CancelFunc
	stopped chan struct{}
}

// openApp builds the app channel when token keys are configured and
// registers it as the sender of app conversations.
func (s *Server) openApp(core *Core, ag *agents) (*appChannel, error) {
	if s.cfg.AppKeys == "" {
		return nil, nil
	}
	keys, err := app.ParseKeys(s.cfg.AppKeys)
	if err != nil {
		return nil, fmt.Errorf("app_keys: %w", err)
	}
	a := &appChannel{stopped: make(chan struct{})}
	var pusher *app.Pusher
	if s.cfg.AppPushURL != "" {
		pusher, err = app.NewPusher(app.PushConfig{
			URL:    s.cfg.AppPushURL,
			Secret: s.cfg.AppPushSecret,
			Store:  core.Store,
			Logger: s.log,
			OnGiveUp: func(ctx context.Context, p app.Push) {
				// The agents see that the user was not reached.
				m := store.Message{From: store.FromSystem, Text: "【系统提示】以上消息未能推送到市民的手机，市民打开App时仍可看到。",
					Meta: map[string]string{channels.MetaInternal: "1"}}
				if _, _, err := core.Store.Append(ctx, p.Conversation, m); err != nil {
					s.log.Warn("app: push failure not noted", "conversation", p.Conversation, "err", err)
				}
			},
		})
		if err != nil {
			return nil, err
		}
	}
	a.ch, err = app.New(app.Config{
		Keys:        keys,
		Bot:         core.Bot,
		Store:       core.Store,
		Pusher:      pusher,
		QueueStatus: ag.svc.QueueStatus,
		Logger:      s.log,
		Registerer:  s.registry,
	})
	if err != nil {
		return nil, err
	}
	a.rest = a.ch.Routes()
	if err := core.Channels.Register(app.Name, a.ch); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go func() {
		defer close(a.stopped)
		if pusher != nil {
			pusher.Run(ctx)
		}
	}()
	s.log.Info("app channel on", "push", s.cfg.AppPushURL != "")
	return a, nil
}

// close closes the devices' connections and stops the push worker.
func (a *appChannel) close(ctx context.Context) error {
	err := a.ch.Shutdown(ctx)
	a.stop()
	<-a.stopped
	return err
}

func (s *Server) appReady(w http.ResponseWriter) *appChannel {
	s.mu.Lock()
	a := s.app
	s.mu.Unlock()
	if a == nil || !s.ready.Load() {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "hotline is starting, please retry", http.StatusServiceUnavailable)
		return nil
	}
	return a
}

func (s *Server) serveAppWS(w http.ResponseWriter, r *http.Request) {
	if a := s.appReady(w); a != nil {
		a.ch.ServeWS(w, r)
	}
}

func (s *Server) serveAppREST(w http.ResponseWriter, r *http.Request) {
	if a := s.appReady(w); a != nil {
		a.rest.ServeHTTP(w, r)
	}
}

// serveAgentMedia shows a signed-in agent an image a user sent.
func (s *Server) serveAgentMedia(ag *agents, ch *app.Channel) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := ag.accounts.FromRequest(r); err != nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", "sign in at /agent first")
			return
		}
		ch.ServeMedia(w, r, r.PathValue("id"))
	}
}
