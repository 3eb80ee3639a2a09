package workorder

import (
	"strings"
	"testing"
	"time"
)

func TestMasked(t *testing.T) {
	t.Parallel()
	o := WorkOrder{
		Number:  "20261127-000001",
		Summary: "工地夜里施工，我电话13987654321，身份证号 11010519491231002X",
		Address: "幸福路12号",
		Contact: Contact{Name: "欧阳娜娜", Phone: "13812345678"},
		Reply:   "已联系您，电话 139-8765-4321",
		Related: []string{"20261126-000007"},
		History: []Event{{Time: time.Now(), Status: Accepted, By: "bot", Text: "回拨 13987654321"}},
	}
	m := o.Masked()
	if m.Contact.Phone != "138****5678" || m.Contact.Name != "欧***" {
		t.Errorf("contact masked as %+v", m.Contact)
	}
	if m.Summary != "工地夜里施工，我电话[号码]，身份证号 [号码]" || m.Reply != "已联系您，电话 [号码]" ||
		m.History[0].Text != "回拨 [号码]" || m.Address != "幸福路12号" {
		t.Errorf("texts masked as %q / %q / %q / %q", m.Summary, m.Reply, m.History[0].Text, m.Address)
	}
	// The original is untouched, and shares nothing with the copy.
	m.History[0].By = "x"
	m.Related[0] = "x"
	if o.Contact.Phone != "13812345678" || !strings.Contains(o.Summary, "13987654321") || o.History[0].By != "bot" || o.Related[0] == "x" {
		t.Errorf("Masked changed the original: %+v", o)
	}
}

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"13812345678":  "138****5678",
		"057187654321": "057****4321",
		"87654321":     "****4321",
		"1234":         "****",
		"":             "",
		"电话号码一二三四五六七八": "电话号****五六七八",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"13812345678", "13812345678", true},
		{"138 1234 5678", "13812345678", true},
		{"+86 138-1234-5678", "13812345678", true},
		{"008613812345678", "13812345678", true},
		{"１３８１２３４５６７８", "13812345678", true},
		{"(0571) 8765-4321", "057187654321", true},
		{"010-62345678", "01062345678", true},
		{"87654321", "87654321", true},
		{"12812345678", "", false},
		{"1381234567", "", false},
		{"138123456789", "", false},
		{"13812345678 转", "", false},
		{"", "", false},
	} {
		got, ok := NormalizePhone(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
