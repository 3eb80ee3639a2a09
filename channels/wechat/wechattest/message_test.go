package wechattest

import (
	"encoding/xml"
	"strings"
	"testing"
)

// parsed is a callback message as a receiver's XML parser sees it.
type parsed struct {
	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	MsgID        int64 `xml:"MsgId"`
	Content      string
	MediaID      string `xml:"MediaId"`
	Format       string
	Recognition  *string
	PicURL       string  `xml:"PicUrl"`
	LocationX    float64 `xml:"Location_X"`
	LocationY    float64 `xml:"Location_Y"`
	Scale        int
	Label        string
	Title        string
	Description  string
	URL          string `xml:"Url"`
	Event        string
	EventKey     *string
}

func parse(t *testing.T, b []byte) parsed {
	t.Helper()
	var m parsed
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("callback XML does not parse: %v\n%s", err, b)
	}
	return m
}

func TestMessageBuilders(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	const from = "oCitizen"
	acct := p.Config().Account
	tricky := `a]]>b<c>&d 市民`
	for _, c := range []struct {
		name  string
		msg   Message
		check func(parsed) bool
	}{
		{"text", p.Text(from, tricky), func(m parsed) bool { return m.Content == tricky && m.MsgID != 0 }},
		{"voice", p.Voice(from, "media1", "amr", "路灯坏了"), func(m parsed) bool {
			return m.MediaID == "media1" && m.Format == "amr" && m.Recognition != nil && *m.Recognition == "路灯坏了"
		}},
		{"voice empty recognition", p.Voice(from, "media1", "speex", ""), func(m parsed) bool {
			return m.Recognition != nil && *m.Recognition == ""
		}},
		{"image", p.Image(from, "http://mmbiz.qpic.cn/x", "media2"), func(m parsed) bool {
			return m.PicURL == "http://mmbiz.qpic.cn/x" && m.MediaID == "media2"
		}},
		{"location", p.Location(from, 23.134521, 113.358803, 20, "广州市"), func(m parsed) bool {
			return m.LocationX == 23.134521 && m.LocationY == 113.358803 && m.Scale == 20 && m.Label == "广州市"
		}},
		{"link", p.Link(from, "标题", "描述", "https://example.org/a?b=1&c=2"), func(m parsed) bool {
			return m.Title == "标题" && m.Description == "描述" && m.URL == "https://example.org/a?b=1&c=2"
		}},
		{"subscribe", p.Subscribe(from), func(m parsed) bool { return m.Event == "subscribe" && m.EventKey == nil && m.MsgID == 0 }},
		{"unsubscribe", p.Unsubscribe(from), func(m parsed) bool { return m.Event == "unsubscribe" && m.MsgID == 0 }},
		{"click", p.Click(from, "转人工"), func(m parsed) bool {
			return m.Event == "CLICK" && m.EventKey != nil && *m.EventKey == "转人工"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := parse(t, c.msg.XML())
			if m.ToUserName != acct || m.FromUserName != from || m.CreateTime == 0 || m.MsgType != c.msg.MsgType {
				t.Errorf("header = %+v", m)
			}
			if !c.check(m) {
				t.Errorf("fields = %+v\n%s", m, c.msg.XML())
			}
		})
	}

	v := p.Voice(from, "m", "amr", "")
	v.HasRecognition = false
	if strings.Contains(string(v.XML()), "Recognition") {
		t.Error("HasRecognition=false still renders Recognition")
	}
	a, b := p.Text(from, "1"), p.Text(from, "2")
	if b.MsgID <= a.MsgID {
		t.Errorf("MsgIds %d then %d, want increasing", a.MsgID, b.MsgID)
	}
}
