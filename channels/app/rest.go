package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/store"
)

// maxTextRunes is the longest message, as the widget's.
const maxTextRunes = 2000

// Routes serves the REST API for apps that cannot keep a socket open:
//
//	POST /api/app/v1/messages      {"id","text"} → {"ack","seq"}; idempotent by id
//	GET  /api/app/v1/messages?after=N → {"messages":[…]} the user's transcript after N
//	POST /api/app/v1/rating        {"score":1..5}
//	POST /api/app/v1/media         an image (JPEG, PNG, WebP; ≤ 5 MiB) → {"id","url"}
//	GET  /api/app/v1/media/{id}    the image, to the user who sent it
//
// Every request carries the app's token: Authorization: Bearer <JWT>.
func (c *Channel) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/app/v1/messages", c.authed(c.postMessage))
	mux.HandleFunc("GET /api/app/v1/messages", c.authed(c.getMessages))
	mux.HandleFunc("POST /api/app/v1/rating", c.authed(c.postRating))
	mux.HandleFunc("POST /api/app/v1/media", c.authed(c.postMedia))
	mux.HandleFunc("GET /api/app/v1/media/{id}", c.authed(c.getMedia))
	return mux
}

// caller is the verified user of a request and their conversation.
type caller struct {
	id   Identity
	conv store.Conversation
}

func (c *Channel) authed(h func(w http.ResponseWriter, r *http.Request, who caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeError(w, http.StatusUnauthorized, "bad_token", "请先登录。")
			return
		}
		id, err := c.cfg.Keys.Verify(strings.TrimSpace(token), c.now())
		if err != nil {
			c.log.Warn("app: token refused", "err", err)
			writeError(w, http.StatusUnauthorized, "bad_token", "登录已过期，请重新登录。")
			return
		}
		conv, _, err := c.conversation(r.Context(), id)
		if err != nil {
			c.log.Error("app: conversation", "err", err)
			writeError(w, http.StatusServiceUnavailable, "unavailable", "系统暂时繁忙，请稍后再试。")
			return
		}
		h(w, r, caller{id: id, conv: conv})
	}
}

// messageJSON is a transcript message as the WebSocket's message frame.
type messageJSON struct {
	Type    string       `json:"type"`
	Seq     int64        `json:"seq"`
	From    store.Sender `json:"from"`
	Text    string       `json:"text"`
	Options []string     `json:"options,omitempty"`
	Time    time.Time    `json:"time"`
}

func (c *Channel) postMessage(w http.ResponseWriter, r *http.Request, who caller) {
	var req struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	switch {
	case req.ID == "" || len(req.ID) > 128:
		writeError(w, http.StatusBadRequest, "missing_id", "消息格式有误。")
		return
	case strings.TrimSpace(req.Text) == "":
		writeError(w, http.StatusBadRequest, "empty_text", "请输入您要咨询的内容。")
		return
	case utf8.RuneCountInString(req.Text) > maxTextRunes:
		writeError(w, http.StatusBadRequest, "text_too_long", "您输入的内容过长，请精简到2000字以内后再发送。")
		return
	}
	if seq, ok := c.handle(w, r, channels.Inbound{Kind: channels.KindText, Conversation: who.conv.ID, ID: req.ID, Text: req.Text}); ok {
		writeJSON(w, http.StatusOK, map[string]any{"ack": req.ID, "seq": seq})
	}
}

// handle stores and answers one inbound message. It reports the stored
// message's seq, or answers the request with the error and reports false.
func (c *Channel) handle(w http.ResponseWriter, r *http.Request, in channels.Inbound) (int64, bool) {
	in.Channel, in.Time = Name, c.now()
	var seq int64
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	err := c.cfg.Bot.Handle(ctx, in, func(m store.Message, _ bool) { seq = m.Seq })
	switch {
	case errors.Is(err, dialog.ErrBadScore):
		writeError(w, http.StatusBadRequest, "bad_score", "评价分数应为1到5分。")
		return 0, false
	case err != nil && seq == 0:
		c.log.Error("app: handle message", "conversation", in.Conversation, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "系统暂时繁忙，请稍后再试。")
		return 0, false
	}
	// Stored: acknowledged even if the answer failed (the citizen's next
	// message is answered; the agents see the question).
	return seq, true
}

func (c *Channel) getMessages(w http.ResponseWriter, r *http.Request, who caller) {
	after, err := strconv.ParseInt(cmp.Or(r.URL.Query().Get("after"), "0"), 10, 64)
	if err != nil || after < 0 {
		writeError(w, http.StatusBadRequest, "bad_after", "after must be a sequence number")
		return
	}
	msgs, err := c.cfg.Store.Messages(r.Context(), who.conv.ID, after, 500)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "系统暂时繁忙，请稍后再试。")
		return
	}
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		if m.Meta[channels.MetaInternal] != "" {
			continue // notes for agents
		}
		out = append(out, messageJSON{Type: "message", Seq: m.Seq, From: m.From, Text: m.Text, Options: m.Options, Time: m.Time})
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": who.conv.ID, "messages": out})
}

func (c *Channel) postRating(w http.ResponseWriter, r *http.Request, who caller) {
	var req struct {
		Score int `json:"score"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if _, ok := c.handle(w, r, channels.Inbound{Kind: channels.KindRating, Conversation: who.conv.ID, Score: req.Score}); ok {
		writeJSON(w, http.StatusOK, map[string]any{"rated": req.Score})
	}
}

// mediaTypes are the images accepted, by their sniffed content type.
var mediaTypes = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

// mediaTTL is how long an uploaded image is kept.
const mediaTTL = 90 * 24 * time.Hour

func mediaKey(id string) string { return "app:media:" + id }

func (c *Channel) postMedia(w http.ResponseWriter, r *http.Request, who caller) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxMedia))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "图片不能超过5MB。")
		return
	}
	if err != nil || len(data) == 0 {
		writeError(w, http.StatusBadRequest, "empty", "请选择要发送的图片。")
		return
	}
	typ := http.DetectContentType(data)
	if _, ok := mediaTypes[typ]; !ok {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_type", "仅支持JPEG、PNG、WebP格式的图片。")
		return
	}
	id := dialog.NewID()
	blob := append([]byte(who.id.User+"\n"+typ+"\n"), data...)
	if err := c.cfg.Store.SetKey(r.Context(), mediaKey(id), blob, mediaTTL); err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "系统暂时繁忙，请稍后再试。")
		return
	}
	in := channels.Inbound{Kind: channels.KindMedia, Conversation: who.conv.ID, ID: "media:" + id, Text: "[图片]",
		Meta: map[string]string{channels.MetaMedia: "image", channels.MetaMediaID: id, channels.MetaMediaURL: AgentMediaPath + id}}
	if seq, ok := c.handle(w, r, in); ok {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "url": "/api/app/v1/media/" + id, "seq": seq})
	}
}

// AgentMediaPath is where agents see an image a user sent (the server
// serves it to signed-in agents with ServeMedia).
const AgentMediaPath = "/api/v1/media/"

func (c *Channel) getMedia(w http.ResponseWriter, r *http.Request, who caller) {
	c.serveMedia(w, r, r.PathValue("id"), who.id.User)
}

// ServeMedia serves an uploaded image to an agent (the caller has checked
// the agent's session).
func (c *Channel) ServeMedia(w http.ResponseWriter, r *http.Request, id string) {
	c.serveMedia(w, r, id, "")
}

// serveMedia serves the image id; owner, when set, must be who sent it
// (anyone else gets the same 404 as for a missing image).
func (c *Channel) serveMedia(w http.ResponseWriter, r *http.Request, id, owner string) {
	blob, err := c.cfg.Store.Key(r.Context(), mediaKey(id))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "图片不存在或已过期。")
		return
	}
	user, rest, _ := bytes.Cut(blob, []byte("\n"))
	typ, data, _ := bytes.Cut(rest, []byte("\n"))
	if owner != "" && string(user) != owner {
		writeError(w, http.StatusNotFound, "not_found", "图片不存在或已过期。")
		return
	}
	h := w.Header()
	h.Set("Content-Type", string(typ))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("Content-Security-Policy", "default-src 'none'")
	w.Write(data)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "请求格式有误。")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}
