package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/store"
)

// What citizens read from the channel itself.
const (
	// textFollowAgain stands for a citizen who follows the account again:
	// the bot greets them.
	textFollowAgain = "你好"
	// textUndelivered is the agents' note of a message WeChat refused.
	textUndelivered = "【系统提示】以上消息未能送达市民（超出微信客服消息48小时时限或条数限制），将在市民下次发来消息时自动补发。"
	// textRedelivered notes the messages sent again.
	textRedelivered = "【系统提示】市民已重新发来消息，先前未送达的%d条消息已补发。"
)

// inbound turns a WeChat message into what the dialog understands; ok is
// false for events that need no answer.
func (c *Channel) inbound(m Message) (channels.Inbound, bool) {
	media := func(kind, id, url, text string) (channels.Inbound, bool) {
		meta := map[string]string{channels.MetaMedia: kind}
		if id != "" {
			meta[channels.MetaMediaID] = id
		}
		if url != "" {
			meta[channels.MetaMediaURL] = url
		}
		return channels.Inbound{Kind: channels.KindMedia, Text: text, Meta: meta}, true
	}
	switch m.MsgType {
	case "text":
		if strings.TrimSpace(m.Content) == "" {
			return channels.Inbound{}, false
		}
		return channels.Inbound{Kind: channels.KindText, Text: m.Content}, true
	case "voice":
		if r := strings.TrimSpace(m.Recognition); r != "" {
			in := channels.Inbound{Kind: channels.KindText, Text: r,
				Meta: map[string]string{channels.MetaMedia: "voice", channels.MetaMediaID: m.MediaID}}
			return in, true
		}
		return media("voice", m.MediaID, "", "[语音]")
	case "image":
		return media("image", m.MediaID, m.PicURL, "[图片]")
	case "video", "shortvideo":
		return media("video", m.MediaID, "", "[视频]")
	case "location":
		text := fmt.Sprintf("[位置] %s（%.6f, %.6f）", m.Label, m.LocationX, m.LocationY)
		return media("location", "", "", text)
	case "link":
		return media("link", "", m.URL, "[链接] "+m.Title)
	case "event":
		if strings.EqualFold(m.Event, "CLICK") {
			if text, ok := c.cfg.Menu[m.EventKey]; ok {
				return channels.Inbound{Kind: channels.KindText, Text: text}, true
			}
			c.log.Warn("wechat: menu key not configured", "key", m.EventKey)
		}
	}
	return channels.Inbound{}, false
}

// unsubscribe closes the citizen's conversation: no more sends, any
// hand-off ends, the next follow starts afresh.
func (c *Channel) unsubscribe(ctx context.Context, user string) error {
	id, err := c.cfg.Store.Session(ctx, sessionKey(user))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := c.cfg.Store.UpdateConversation(ctx, id, func(conv *store.Conversation) error {
		conv.State = stateClosed
		return nil
	}); err != nil {
		return err
	}
	if c.cfg.Handoff != nil {
		if err := c.cfg.Handoff.Leave(ctx, id); err != nil {
			c.log.Warn("wechat: hand-off not ended on unsubscribe", "conversation", id, "err", err)
		}
	}
	c.api.forget(ctx, user)
	c.log.Info("wechat: citizen unsubscribed", "conversation", id)
	return nil
}

// undeliveredKind keeps, per conversation, the seqs WeChat refused.
const undeliveredKind = "wechat-undelivered"

// push sends one message through the customer-service API. What cannot go
// out now (outside the 48-hour window, over the quota, or refused) is
// kept, noted for the agents, and sent when the citizen writes again.
func (c *Channel) push(ctx context.Context, conv store.Conversation, openID string, it item) {
	if openID == "" {
		data, err := c.cfg.Store.Key(ctx, openIDKey(conv.ID))
		if err != nil {
			c.log.Error("wechat push: no OpenID for conversation", "conversation", conv.ID, "err", err)
			return
		}
		openID = string(data)
	}
	for _, part := range SplitText(it.text, TextLimit) {
		err := c.api.send(ctx, c.user(openID), openID, part)
		if err == nil {
			c.sends.WithLabelValues("sent").Inc()
			continue
		}
		c.sends.WithLabelValues("kept").Inc()
		c.log.Warn("wechat push kept for later", "conversation", conv.ID, "seq", it.seq, "err", err)
		if it.seq > 0 {
			c.keep(ctx, conv, it.seq)
		}
		return
	}
}

// keep remembers an undelivered message and tells the agents.
func (c *Channel) keep(ctx context.Context, conv store.Conversation, seq int64) {
	first := false
	_, err := c.cfg.Store.UpdateRecord(ctx, undeliveredKind, conv.ID, func(cur []byte) ([]byte, error) {
		var seqs []int64
		if cur != nil {
			if err := json.Unmarshal(cur, &seqs); err != nil {
				return nil, err
			}
		}
		first = len(seqs) == 0
		if !slices.Contains(seqs, seq) {
			seqs = append(seqs, seq)
		}
		return json.Marshal(seqs)
	})
	if err != nil {
		c.log.Error("wechat: undelivered message not kept", "conversation", conv.ID, "seq", seq, "err", err)
		return
	}
	if first {
		c.note(ctx, conv.ID, textUndelivered)
	}
}

// note appends a system note for the agents (never sent to WeChat).
func (c *Channel) note(ctx context.Context, conv, text string) {
	m := store.Message{From: store.FromSystem, Text: text, Meta: map[string]string{channels.MetaInternal: "1"}}
	m, _, err := c.cfg.Store.Append(ctx, conv, m)
	if err != nil {
		c.log.Warn("wechat: note not stored", "conversation", conv, "err", err)
		return
	}
	// The agent's console follows the conversation on the bus.
	if err := c.cfg.Store.Publish(ctx, channels.Topic(conv), channels.EncodeEvent(m)); err != nil {
		c.log.Warn("wechat: note not announced", "conversation", conv, "err", err)
	}
}

// redeliver sends, in the background, what could not be delivered before
// the citizen wrote again.
func (c *Channel) redeliver(conv store.Conversation, openID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Almost always nothing is kept: a read, not a write, per callback.
	if _, err := c.cfg.Store.Record(ctx, undeliveredKind, conv.ID); errors.Is(err, store.ErrNotFound) {
		return
	}
	var seqs []int64
	_, err := c.cfg.Store.UpdateRecord(ctx, undeliveredKind, conv.ID, func(cur []byte) ([]byte, error) {
		seqs = nil
		if cur != nil {
			if err := json.Unmarshal(cur, &seqs); err != nil {
				return nil, err
			}
		}
		return nil, nil // taken
	})
	if err != nil || len(seqs) == 0 {
		if err != nil {
			c.log.Warn("wechat: undelivered messages not read", "conversation", conv.ID, "err", err)
		}
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		slices.Sort(seqs)
		msgs, err := c.cfg.Store.Messages(ctx, conv.ID, seqs[0]-1, int(seqs[len(seqs)-1]-seqs[0]+1))
		if err != nil {
			c.log.Error("wechat: undelivered messages not read", "conversation", conv.ID, "err", err)
			return
		}
		sent := 0
		for _, m := range msgs {
			if slices.Contains(seqs, m.Seq) {
				c.push(ctx, conv, openID, item{seq: m.Seq, text: WithOptions(m.Text, m.Options)})
				sent++
			}
		}
		c.note(ctx, conv.ID, fmt.Sprintf(textRedelivered, sent))
	}()
}

// errCode reads WeChat's errcode out of silenceper's plain-string errors
// ("… errcode=45015 , errmsg=…").
func errCode(err error) int {
	if err == nil {
		return 0
	}
	s := err.Error()
	i := strings.Index(s, "errcode=")
	if i < 0 {
		return 0
	}
	s = s[i+len("errcode="):]
	j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if j >= 0 {
		s = s[:j]
	}
	n, _ := strconv.Atoi(s)
	return n
}
