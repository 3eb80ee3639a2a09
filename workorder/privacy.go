package workorder

import (
	"strings"
	"unicode/utf8"

	"github.com/hotline12345/hotline/internal/privacy"
)

// Masked returns a copy of o for dashboards, exports and logs: the phone
// keeps its first three and last four digits (138****5678), the name its
// first character (张**), and long numbers the citizen wrote into the
// summary, address, time, reply or history (phone, ID and card numbers)
// become [号码]. The full order is for the agent handling the case and for
// admins, whose views the caller audits.
func (o WorkOrder) Masked() WorkOrder {
	m := o.clone()
	m.Contact.Phone = MaskPhone(o.Contact.Phone)
	m.Contact.Name = maskName(o.Contact.Name)
	m.Summary = maskNumbers(o.Summary)
	m.Address = maskNumbers(o.Address)
	m.When = maskNumbers(o.When)
	m.Reply = maskNumbers(o.Reply)
	for i := range m.History {
		m.History[i].Text = maskNumbers(m.History[i].Text)
	}
	return m
}

// MaskPhone hides the middle of a phone number: 13812345678 becomes
// 138****5678, a landline 057187654321 becomes 057****4321; numbers
// shorter than 11 digits keep only their last four (****4321), and those
// of four digits or fewer are hidden whole.
func MaskPhone(phone string) string {
	p := []rune(phone)
	n := len(p)
	switch {
	case n == 0:
		return ""
	case n <= 4:
		return strings.Repeat("*", n)
	case n < 11:
		return strings.Repeat("*", n-4) + string(p[n-4:])
	}
	return string(p[:3]) + "****" + string(p[n-4:])
}

// maskName keeps the first character of a name: 张三 becomes 张*.
func maskName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return ""
	}
	return string(r) + strings.Repeat("*", utf8.RuneCountInString(name[size:]))
}

// maskNumbers replaces the long numbers in text with [号码] (the rule
// dialog applies to the knowledge base misses).
func maskNumbers(text string) string { return privacy.MaskNumbers(text) }
