package wechattest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reply is a passive reply as WeChat reads it from the answer to a
// callback.
type Reply struct {
	// None is true for the answers that make WeChat show nothing and not
	// retry: the body "success" or an empty body.
	None bool
	// Encrypted is true if the reply came in an Encrypt envelope.
	Encrypted bool
	// TimeStamp and Nonce are the envelope's, for an encrypted reply.
	TimeStamp string
	Nonce     string

	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	Content      string // text replies
	// XML is the reply message's XML (decrypted, for an encrypted reply).
	XML []byte
}

// replyXML holds every element a reply or its envelope may have; which
// are allowed depends on the mode.
type replyXML struct {
	XMLName      xml.Name
	Encrypt      *string `xml:"Encrypt"`
	MsgSignature *string `xml:"MsgSignature"`
	TimeStamp    *string `xml:"TimeStamp"`
	Nonce        *string `xml:"Nonce"`
	ToUserName   *string `xml:"ToUserName"`
	FromUserName *string `xml:"FromUserName"`
	CreateTime   *string `xml:"CreateTime"`
	MsgType      *string `xml:"MsgType"`
	Content      *string `xml:"Content"`
}

type field struct {
	name string
	v    *string
}

// plain lists the message fields, the required ones first.
func (x *replyXML) plain() []field {
	return []field{
		{"ToUserName", x.ToUserName}, {"FromUserName", x.FromUserName},
		{"CreateTime", x.CreateTime}, {"MsgType", x.MsgType}, {"Content", x.Content},
	}
}

// envelope lists the encrypted reply's fields besides Encrypt.
func (x *replyXML) envelope() []field {
	return []field{{"MsgSignature", x.MsgSignature}, {"TimeStamp", x.TimeStamp}, {"Nonce", x.Nonce}}
}

// replyTypes are the MsgTypes a passive reply may have.
var replyTypes = map[string]bool{
	"text": true, "image": true, "voice": true, "video": true,
	"music": true, "news": true, "transfer_customer_service": true,
}

// ReadReply reads body, the answer to a callback made in mode, as WeChat
// does. "success" or an empty body is no reply (Reply.None). Otherwise
// the body must be a reply message: in plaintext mode the message XML; in
// safe mode an envelope of Encrypt, MsgSignature, TimeStamp and Nonce
// whose signature checks, whose ciphertext decrypts and ends with the
// AppID, and which holds the message XML; in compatible mode either. The
// message must have ToUserName, FromUserName equal to the account's
// original ID, a numeric CreateTime, a reply MsgType, and a text reply a
// Content of 1 to MaxTextBytes bytes. Every error names what is wrong and
// wraps ErrReply, ErrSignature, ErrCiphertext or ErrAppID.
func (p *Platform) ReadReply(mode Mode, body []byte) (Reply, error) {
	if len(body) == 0 || string(body) == "success" {
		return Reply{None: true}, nil
	}
	outer, err := parseReplyXML(body)
	if err != nil {
		return Reply{}, err
	}
	encrypted := outer.Encrypt != nil
	switch {
	case mode == Plaintext && encrypted:
		return Reply{}, fmt.Errorf("%w: plaintext mode but the reply has an Encrypt envelope", ErrReply)
	case mode == Safe && !encrypted:
		return Reply{}, fmt.Errorf("%w: safe mode but the reply has no Encrypt element (plaintext reply)", ErrReply)
	case !encrypted:
		return p.checkMessage(outer, body)
	}

	if mode == Safe {
		for _, f := range outer.plain() {
			if f.v != nil {
				return Reply{}, fmt.Errorf("%w: safe mode but the envelope also carries plaintext %s", ErrReply, f.name)
			}
		}
	}
	for _, f := range outer.envelope() {
		if f.v == nil || *f.v == "" {
			return Reply{}, fmt.Errorf("%w: encrypted reply has no %s", ErrReply, f.name)
		}
	}
	enc, ts, nonce := *outer.Encrypt, *outer.TimeStamp, *outer.Nonce
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return Reply{}, fmt.Errorf("%w: TimeStamp %q is not a number", ErrReply, ts)
	}
	if want := Signature(p.cfg.Token, ts, nonce, enc); *outer.MsgSignature != want {
		return Reply{}, fmt.Errorf("%w: reply MsgSignature %q, want %q for (token, TimeStamp %s, Nonce %s, Encrypt)",
			ErrSignature, *outer.MsgSignature, want, ts, nonce)
	}
	_, inner, appID, err := Decrypt(p.key, enc)
	if err != nil {
		return Reply{}, fmt.Errorf("reply Encrypt: %w", err)
	}
	if appID != p.cfg.AppID {
		return Reply{}, fmt.Errorf("%w: reply ends with AppID %q, want %q", ErrAppID, appID, p.cfg.AppID)
	}
	msg, err := parseReplyXML(inner)
	if err != nil {
		return Reply{}, fmt.Errorf("decrypted reply: %w", err)
	}
	if msg.Encrypt != nil {
		return Reply{}, fmt.Errorf("%w: decrypted reply is itself an Encrypt envelope", ErrReply)
	}
	r, err := p.checkMessage(msg, inner)
	r.Encrypted, r.TimeStamp, r.Nonce = true, ts, nonce
	return r, err
}

// parseReplyXML parses one <xml> element and nothing else, refusing
// DOCTYPEs (entity tricks) and trailing content.
func parseReplyXML(b []byte) (*replyXML, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var out replyXML
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: not XML: %v", ErrReply, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: XML has a directive <!%.20s…> (DOCTYPE)", ErrReply, t)
		case xml.StartElement:
			if t.Name.Local != "xml" {
				return nil, fmt.Errorf("%w: root element <%s>, want <xml>", ErrReply, t.Name.Local)
			}
			if err := d.DecodeElement(&out, &t); err != nil {
				return nil, fmt.Errorf("%w: not XML: %v", ErrReply, err)
			}
			for {
				tok, err := d.Token()
				if errors.Is(err, io.EOF) {
					return &out, nil
				}
				if err != nil {
					return nil, fmt.Errorf("%w: after </xml>: %v", ErrReply, err)
				}
				if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) != 0 {
					return nil, fmt.Errorf("%w: content after </xml>", ErrReply)
				}
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("%w: not XML, nor exactly \"success\": text %.20q before any element", ErrReply, t)
			}
		}
	}
}

// checkMessage checks a reply message's fields.
func (p *Platform) checkMessage(m *replyXML, raw []byte) (Reply, error) {
	r := Reply{XML: raw}
	for _, f := range m.plain()[:4] {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			return r, fmt.Errorf("%w: reply has no %s", ErrReply, f.name)
		}
	}
	r.ToUserName, r.FromUserName, r.MsgType = *m.ToUserName, *m.FromUserName, *m.MsgType
	ct, err := strconv.ParseInt(strings.TrimSpace(*m.CreateTime), 10, 64)
	if err != nil || ct <= 0 {
		return r, fmt.Errorf("%w: CreateTime %q is not a positive number", ErrReply, *m.CreateTime)
	}
	r.CreateTime = ct
	if m.Content != nil {
		r.Content = *m.Content
	}
	if r.FromUserName != p.cfg.Account {
		return r, fmt.Errorf("%w: FromUserName is %q, want the account's original ID %q", ErrReply, r.FromUserName, p.cfg.Account)
	}
	if !replyTypes[r.MsgType] {
		return r, fmt.Errorf("%w: MsgType %q is not a reply type", ErrReply, r.MsgType)
	}
	if r.MsgType == "text" {
		switch {
		case m.Content == nil || r.Content == "":
			return r, fmt.Errorf("%w: text reply has no Content", ErrReply)
		case len(r.Content) > p.cfg.MaxTextBytes:
			return r, fmt.Errorf("%w: text reply Content is %d bytes, limit %d", ErrReply, len(r.Content), p.cfg.MaxTextBytes)
		}
	}
	return r, nil
}
