package workorder

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Draft is what an order is created from: the details the bot collected
// and the citizen confirmed, or what an agent entered in the console.
type Draft struct {
	// Conversation is the chat the appeal came from; status queries from
	// it see the order. Empty for orders without a chat.
	Conversation string
	// Channel is the conversation's channel.
	Channel    string
	AppealType AppealType
	// Department is set when an agent already knows it; otherwise the
	// dispatcher decides, starting from Suggested.
	Department string
	Suggested  Suggested
	// Summary is what happened; required, at most 2000 characters.
	Summary string
	// Address is where it happened; optional, at most 200 characters.
	Address string
	// When is when it happened, in the citizen's words; optional.
	When    string
	Contact Contact
	// By names who creates the order ("bot", an agent's username); it is
	// the first history event's author. Default "bot".
	By string
}

// Field length limits, in characters.
const (
	maxAddress = 200
	maxWhen    = 100
	maxName    = 50
	maxDept    = 100
)

var (
	// mobile is a mainland mobile number.
	mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)
	// landline is a fixed-line number with its area code (0571 8765 4321)
	// or a local one of 7 or 8 digits; an extension may follow.
	landline = regexp.MustCompile(`^(0\d{2,3})?[2-9]\d{6,7}(\d{1,5})?$`)
)

// NormalizePhone returns a phone number's digits: it drops spaces, dashes,
// brackets and a +86 or 86 country prefix, turns full-width digits into
// ASCII and reports whether the result is a mainland mobile or landline
// number.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case strings.ContainsRune(" \u3000-－()（）+＋", r):
		default:
			return "", false
		}
	}
	p := b.String()
	if strings.HasPrefix(p, "86") && len(p) == 13 && mobile.MatchString(p[2:]) {
		p = p[2:]
	}
	if strings.HasPrefix(p, "0086") && len(p) == 15 && mobile.MatchString(p[4:]) {
		p = p[4:]
	}
	return p, mobile.MatchString(p) || landline.MatchString(p)
}

// normalize trims the draft's text fields and normalizes its phone; it
// returns the first problem (wrapping ErrInvalid) without side effects on
// failure beyond the copy it works on.
func (d Draft) normalize() (Draft, error) {
	d.Summary = strings.TrimSpace(d.Summary)
	d.Address = strings.TrimSpace(d.Address)
	d.When = strings.TrimSpace(d.When)
	d.Department = strings.TrimSpace(d.Department)
	d.Contact.Name = strings.TrimSpace(d.Contact.Name)
	d.By = strings.TrimSpace(d.By)
	if d.By == "" {
		d.By = "bot"
	}
	if d.Contact.Anonymous {
		d.Contact.Name = ""
	}
	if err := validate(d.AppealType, d.Summary, d.Address, d.When, d.Department, &d.Contact); err != nil {
		return Draft{}, err
	}
	return d, nil
}

// validate checks the fields every order must satisfy, at creation and
// after an Update, and normalizes the phone in place.
func validate(a AppealType, summary, address, when, dept string, c *Contact) error {
	if !a.Valid() {
		return invalid("appeal_type", "%q is not one of complaint, report, help, suggestion, consult", a)
	}
	if summary == "" {
		return invalid("summary", "what happened is required")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"summary", summary, maxText}, {"address", address, maxAddress}, {"when", when, maxWhen},
		{"department", dept, maxDept}, {"name", c.Name, maxName}} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return invalid(f.name, "%d characters, at most %d", n, f.max)
		}
	}
	if c.Anonymous && a != Report {
		return invalid("contact", "only a report (举报) may be anonymous")
	}
	if c.Phone == "" {
		if c.Anonymous {
			return nil
		}
		return invalid("phone", "a contact phone is required")
	}
	p, ok := NormalizePhone(c.Phone)
	if !ok {
		return invalid("phone", "not a mobile or landline number")
	}
	c.Phone = p
	return nil
}
