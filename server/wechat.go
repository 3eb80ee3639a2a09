package server

import (
	"net/http"

	"github.com/hotline12345/hotline/channels/wechat"
)

// openWeChat builds the WeChat channel when an AppID is configured and
// registers it as the sender of WeChat conversations.
func (s *Server) openWeChat(core *Core, ag *agents) (*wechat.Channel, error) {
	if s.cfg.WeChatAppID == "" {
		return nil, nil
	}
	ch, err := wechat.New(wechat.Config{
		AppID:       s.cfg.WeChatAppID,
		Secret:      s.cfg.WeChatSecret,
		Token:       s.cfg.WeChatToken,
		AESKey:      s.cfg.WeChatAESKey,
		MaxSkew:     s.cfg.WeChatMaxSkew,
		APIBase:     s.cfg.WeChatAPIBase,
		ReplyBudget: s.cfg.WeChatReplyBudget,
		Menu:        s.cfg.WeChatMenu,
		Bot:         core.Bot,
		Store:       core.Store,
		Handoff:     ag.svc,
		Logger:      s.log,
		Registerer:  s.registry,
	})
	if err != nil {
		return nil, err
	}
	if err := core.Channels.Register(wechat.Name, ch); err != nil {
		return nil, err
	}
	s.log.Info("WeChat channel on", "path", s.cfg.WeChatPath)
	return ch, nil
}

// serveWeChat hands WeChat's callbacks to the channel once it is ready;
// before that WeChat gets 503 and retries.
func (s *Server) serveWeChat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ch := s.wechat
	s.mu.Unlock()
	if ch == nil || !s.ready.Load() {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "hotline is starting, please retry", http.StatusServiceUnavailable)
		return
	}
	ch.ServeHTTP(w, r)
}

// WeChat returns the WeChat channel once the server has started, or nil
// when it is off.
func (s *Server) WeChat() *wechat.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wechat
}
