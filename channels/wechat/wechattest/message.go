package wechattest

import (
	"bytes"
	"strconv"
	"strings"
)

// Event names of event callbacks (MsgType "event").
const (
	EventSubscribe   = "subscribe"
	EventUnsubscribe = "unsubscribe"
	EventClick       = "CLICK"
)

// Message is one message or event a citizen sends to the account, with
// WeChat's field names. Build it with the Platform's builders, which fill
// ToUserName, CreateTime and a fresh MsgId, and change fields freely
// before making a Callback of it. Fields a message type does not have are
// left out of its XML.
type Message struct {
	ToUserName   string // the account's original ID
	FromUserName string // the citizen's OpenID
	CreateTime   int64  // Unix seconds
	MsgType      string // text, voice, image, location, link or event
	MsgID        int64  // MsgId; zero for events, which have none

	Content string // text

	MediaID        string // voice, image
	Format         string // voice: amr, speex
	Recognition    string // voice: speech recognition result
	HasRecognition bool   // voice: whether the Recognition element is present (possibly empty)
	PicURL         string // image

	LocationX float64 // location: Location_X, latitude
	LocationY float64 // location: Location_Y, longitude
	Scale     int     // location: map zoom
	Label     string  // location: place name

	Title       string // link
	Description string // link
	URL         string // link: Url

	Event    string // event: subscribe, unsubscribe, CLICK, …
	EventKey string // event: the menu key of CLICK
}

// message starts a message from openID to the account, stamped now.
func (p *Platform) message(openID, msgType string) Message {
	m := Message{
		ToUserName:   p.cfg.Account,
		FromUserName: openID,
		CreateTime:   p.cfg.Now().Unix(),
		MsgType:      msgType,
	}
	if msgType != "event" {
		p.mu.Lock()
		p.msgID++
		m.MsgID = p.msgID
		p.mu.Unlock()
	}
	return m
}

// Text is a text message.
func (p *Platform) Text(openID, content string) Message {
	m := p.message(openID, "text")
	m.Content = content
	return m
}

// Voice is a voice message. Its Recognition element is present with the
// given text, empty if recognition is "" (as WeChat sends it more and
// more often); set HasRecognition to false to leave it out.
func (p *Platform) Voice(openID, mediaID, format, recognition string) Message {
	m := p.message(openID, "voice")
	m.MediaID, m.Format = mediaID, format
	m.Recognition, m.HasRecognition = recognition, true
	return m
}

// Image is an image message.
func (p *Platform) Image(openID, picURL, mediaID string) Message {
	m := p.message(openID, "image")
	m.PicURL, m.MediaID = picURL, mediaID
	return m
}

// Location is a location message: latitude x, longitude y.
func (p *Platform) Location(openID string, x, y float64, scale int, label string) Message {
	m := p.message(openID, "location")
	m.LocationX, m.LocationY, m.Scale, m.Label = x, y, scale, label
	return m
}

// Link is a link message.
func (p *Platform) Link(openID, title, description, url string) Message {
	m := p.message(openID, "link")
	m.Title, m.Description, m.URL = title, description, url
	return m
}

// Event is an event of the given name; key is its EventKey ("" for
// none).
func (p *Platform) Event(openID, event, key string) Message {
	m := p.message(openID, "event")
	m.Event, m.EventKey = event, key
	return m
}

// Subscribe is the event of the citizen following the account.
func (p *Platform) Subscribe(openID string) Message { return p.Event(openID, EventSubscribe, "") }

// Unsubscribe is the event of the citizen unfollowing the account.
func (p *Platform) Unsubscribe(openID string) Message { return p.Event(openID, EventUnsubscribe, "") }

// Click is the event of the citizen tapping a menu item of type click.
func (p *Platform) Click(openID, key string) Message { return p.Event(openID, EventClick, key) }

// XML is the message as WeChat sends it: an <xml> root, text in CDATA,
// one element per line (the layout of WeChat's own samples).
func (m Message) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	cdata(&b, "ToUserName", m.ToUserName)
	cdata(&b, "FromUserName", m.FromUserName)
	number(&b, "CreateTime", strconv.FormatInt(m.CreateTime, 10))
	cdata(&b, "MsgType", m.MsgType)
	switch m.MsgType {
	case "text":
		cdata(&b, "Content", m.Content)
	case "voice":
		cdata(&b, "MediaId", m.MediaID)
		cdata(&b, "Format", m.Format)
		if m.HasRecognition {
			cdata(&b, "Recognition", m.Recognition)
		}
	case "image":
		cdata(&b, "PicUrl", m.PicURL)
		cdata(&b, "MediaId", m.MediaID)
	case "location":
		number(&b, "Location_X", strconv.FormatFloat(m.LocationX, 'f', -1, 64))
		number(&b, "Location_Y", strconv.FormatFloat(m.LocationY, 'f', -1, 64))
		number(&b, "Scale", strconv.Itoa(m.Scale))
		cdata(&b, "Label", m.Label)
	case "link":
		cdata(&b, "Title", m.Title)
		cdata(&b, "Description", m.Description)
		cdata(&b, "Url", m.URL)
	case "event":
		cdata(&b, "Event", m.Event)
		if m.EventKey != "" || m.Event == EventClick {
			cdata(&b, "EventKey", m.EventKey)
		}
	}
	if m.MsgType != "event" {
		number(&b, "MsgId", strconv.FormatInt(m.MsgID, 10))
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// cdata writes <name><![CDATA[value]]></name> and a newline. A "]]>" in
// value is split across two CDATA sections, as XML requires.
func cdata(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + "><![CDATA[")
	b.WriteString(strings.ReplaceAll(value, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]></" + name + ">\n")
}

func number(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">" + value + "</" + name + ">\n")
}
