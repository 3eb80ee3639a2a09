package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/hotline12345/hotline/store"
)

// DefaultAPIBase is WeChat's API host.
const DefaultAPIBase = "https://api.weixin.qq.com"

// The customer-service rules (客服消息): messages only within 48 hours of
// the citizen's last message, at most 5 per such window.
const (
	serviceWindow = 48 * time.Hour
	windowQuota   = 5
)

// WeChat error codes the channel acts on.
const (
	codeInvalidToken = 40001
	codeTokenExpired = 42001
	codeOutOfWindow  = 45015
	codeOutOfQuota   = 45047
)

// Why a customer-service message was not sent; kept for later.
var (
	ErrOutOfWindow = errors.New("wechat: the citizen's last message is older than 48 hours")
	ErrOutOfQuota  = errors.New("wechat: 5 customer-service messages already sent in this window")
)

// api is the customer-service API with its token and limits.
type api struct {
	store Store
	cs    *message.Manager
	cache *tokenCache
	// tokenKey is the cache key silenceper keeps the access token under.
	tokenKey string
	log      *slog.Logger
}

// libraryOnce guards silenceper's process-wide settings.
var libraryOnce sync.Mutex

func newAPI(cfg Config, st Store, log *slog.Logger) (*api, error) {
	base := strings.TrimRight(cfg.APIBase, "/")
	if base == "" {
		base = DefaultAPIBase
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("wechat: API base %q is not an http(s) URL", cfg.APIBase)
	}
	libraryOnce.Lock()
	// Process-wide in the library: one official account per process.
	util.DefaultHTTPClient = &http.Client{Timeout: 10 * time.Second}
	if base != DefaultAPIBase {
		util.SetURIModifier(func(uri string) string {
			return strings.Replace(uri, DefaultAPIBase, base, 1)
		})
	} else {
		util.SetURIModifier(nil)
	}
	libraryOnce.Unlock()

	cache := &tokenCache{store: st}
	// officialaccount, not the root wechat package: that one turns the
	// global logger to debug, and the server package would log every
	// decrypted message. Only the token and customer-service parts are used.
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: cfg.AppID, AppSecret: cfg.Secret, Token: cfg.Token, EncodingAESKey: cfg.AESKey, Cache: cache,
	})
	return &api{
		store: st,
		cs:    oa.GetCustomerMessageManager(), // once: the lazy getters race
		cache: cache,
		// credential.DefaultAccessToken's key: "<prefix>_access_token_<appid>".
		tokenKey: "gowechat_officialaccount__access_token_" + cfg.AppID,
		log:      log,
	}, nil
}

func lastKey(user string) string { return "wechat:last:" + user }

// touched records that the citizen wrote: a new 48-hour window with a new
// quota of 5.
func (a *api) touched(ctx context.Context, user string) error {
	window := strconv.FormatInt(time.Now().UnixNano(), 36)
	return a.store.SetKey(ctx, lastKey(user), []byte(window), serviceWindow)
}

// forget closes the window (the citizen unsubscribed).
func (a *api) forget(ctx context.Context, user string) {
	if err := a.store.DeleteKey(ctx, lastKey(user)); err != nil {
		a.log.Warn("wechat: window not closed", "err", err)
	}
}

// send sends one text within the limits; a refused or expired token is
// refreshed once and the message sent again.
func (a *api) send(ctx context.Context, user, openID, text string) error {
	window, err := a.store.Key(ctx, lastKey(user))
	if errors.Is(err, store.ErrNotFound) {
		return ErrOutOfWindow
	}
	if err != nil {
		return err
	}
	n, err := a.store.Increment(ctx, "wechat:sent:"+user+":"+string(window), 1, serviceWindow)
	if err != nil {
		return err
	}
	if n > windowQuota {
		return ErrOutOfQuota
	}
	msg := message.NewCustomerTextMessage(openID, text)
	err = a.cs.Send(msg)
	if code := errCode(err); code == codeInvalidToken || code == codeTokenExpired {
		// The library keeps a token WeChat no longer takes: drop it, fetch
		// a new one, once.
		a.log.Info("wechat: access token refused, refreshing", "code", code)
		if err := a.cache.Delete(a.tokenKey); err != nil {
			return err
		}
		err = a.cs.Send(msg)
	}
	switch errCode(err) {
	case codeOutOfWindow:
		return fmt.Errorf("%w (errcode %d)", ErrOutOfWindow, codeOutOfWindow)
	case codeOutOfQuota:
		return fmt.Errorf("%w (errcode %d)", ErrOutOfQuota, codeOutOfQuota)
	}
	return err
}

// tokenCache is silenceper's cache interface on the store, so that every
// instance shares one access token (each fetch invalidates the previous
// one after a few minutes, and fetches are limited to 2,000 a day).
type tokenCache struct{ store store.Keys }

func (t *tokenCache) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

func (t *tokenCache) key(k string) string { return "wechat:cache:" + k }

// Get implements cache.Cache.
func (t *tokenCache) Get(k string) interface{} {
	ctx, cancel := t.ctx()
	defer cancel()
	v, err := t.store.Key(ctx, t.key(k))
	if err != nil {
		return nil
	}
	return string(v)
}

// Set implements cache.Cache.
func (t *tokenCache) Set(k string, v interface{}, timeout time.Duration) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("wechat: cache value of type %T", v)
	}
	ctx, cancel := t.ctx()
	defer cancel()
	return t.store.SetKey(ctx, t.key(k), []byte(s), timeout)
}

// IsExist implements cache.Cache.
func (t *tokenCache) IsExist(k string) bool { return t.Get(k) != nil }

// Delete implements cache.Cache.
func (t *tokenCache) Delete(k string) error {
	ctx, cancel := t.ctx()
	defer cancel()
	return t.store.DeleteKey(ctx, t.key(k))
}
