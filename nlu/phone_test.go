package nlu

import (
	"slices"
	"testing"
	"time"
)

func TestPhones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"我的电话13812345678，谢谢", []string{"13812345678"}},
		{"座机010-87654321或者0571 88886666", []string{"010-87654321", "0571-88886666"}},
		{"身份证110101199003074578", nil},
		{"12345热线", nil},
		{"电话是12812345678", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := Phones(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Phones(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractPhones(t *testing.T) {
	t.Parallel()
	p := func(v, span string) want { return want{EntityPhone, v, span} }
	only := []string{EntityPhone}
	runEntityCases(t, []entityCase{
		{text: "我的电话13812345678，谢谢", want: []want{p("13812345678", "13812345678")}},
		{text: "😀电话：138-1234-5678", want: []want{p("13812345678", "138-1234-5678")}},
		{text: "打138 1234 5678找我", want: []want{p("13812345678", "138 1234 5678")}},
		{text: "手机138-12345678", want: []want{p("13812345678", "138-12345678")}},
		{text: "手机+86 13812345678", want: []want{p("13812345678", "+86 13812345678")}},
		{text: "手机+8613812345678", want: []want{p("13812345678", "+8613812345678")}},
		{text: "手机0086-13812345678", want: []want{p("13812345678", "0086-13812345678")}},
		{text: "手机008613812345678", want: []want{p("13812345678", "008613812345678")}},
		{text: "手机(+86)13812345678", want: []want{p("13812345678", "(+86)13812345678")}},
		{text: "手机１３８１２３４５６７８", want: []want{p("13812345678", "１３８１２３４５６７８")}},
		{text: "电话19912345678。", want: []want{p("19912345678", "19912345678")}},
		{text: "北京010-62345678", want: []want{p("010-62345678", "010-62345678")}},
		{text: "北京010-12345678", want: nil, only: only}, // local numbers never start with 1
		{text: "杭州0571-88886666", want: []want{p("0571-88886666", "0571-88886666")}},
		{text: "杭州(0571)88886666", want: []want{p("0571-88886666", "(0571)88886666")}},
		{text: "杭州（0571）8888-6666", want: []want{p("0571-88886666", "（0571）8888-6666")}},
		{text: "杭州0571 8888 6666", want: []want{p("0571-88886666", "0571 8888 6666")}},
		{text: "杭州057188886666", want: []want{p("0571-88886666", "057188886666")}},
		{text: "北京01062345678", want: []want{p("010-62345678", "01062345678")}},
		{text: "座机88886666", want: []want{p("88886666", "88886666")}},
		{text: "联系方式：8888 6666", want: []want{p("88886666", "8888 6666")}},
		{text: "电话号码是88886666", want: []want{p("88886666", "88886666")}},
		{text: "房间88886666", want: nil, only: only},
		{text: "订单号138123456789012", want: nil, only: only},
		{text: "卡号6222021234567890123", want: nil, only: only},
		{text: "12345热线", want: nil, only: only},
		{text: "电话是12812345678", want: nil, only: only},
		{text: "1381234567", want: nil, only: only},
		{text: "0001-12345678", want: nil, only: only},
	})
}

func TestExtractIDCards(t *testing.T) {
	t.Parallel()
	only := []string{EntityIDCard, EntityPhone}
	id := func(v, span string) want { return want{EntityIDCard, v, span} }
	runEntityCases(t, []entityCase{
		{text: "身份证11010519491231002X", want: []want{id("11010519491231002X", "11010519491231002X")}, only: only},
		{text: "身份证11010519491231002x号", want: []want{id("11010519491231002X", "11010519491231002x")}, only: only},
		{text: "身份证号：110101199003074573", want: []want{id("110101199003074573", "110101199003074573")}, only: only},
		{text: "😀４４０３０４２００００２２９１２３６", want: []want{id("440304200002291236", "４４０３０４２００００２２９１２３６")}, only: only},
		// Bad checksum: no ID, and no phone out of its digits either.
		{text: "身份证110101199003074578", want: nil, only: only},
		{text: "身份证11010519491231002Y", want: nil, only: only},
		// Born after now (2027-01-01), though the checksum is right.
		{text: "身份证330106202701010013", want: nil, only: only},
		// Not a date of birth (month 13).
		{text: "身份证110101199013074573", want: nil, only: only},
		// Longer runs are no ID.
		{text: "1101011990030745731", want: nil, only: only},
	})
}

func TestValidIDCard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"11010519491231002X", true},
		{"110101199003074573", true},
		{"440304200002291236", true}, // 2000-02-29 exists
		{"320583198808081237", true},
		{"110101199003074578", false},
		{"11010519491231002x", false}, // the caller uppercases
		{"440304200102291232", false}, // 2001-02-29 does not
		{"910101199003074573", false}, // no region starts with 9
		{"11010119900307457", false},
	} {
		if got := validIDCard([]rune(tc.id), testNow); got != tc.want {
			t.Errorf("validIDCard(%s) = %v, want %v", tc.id, got, tc.want)
		}
	}
	if !validIDCard([]rune("330106202701010013"), time.Time{}) {
		t.Errorf("zero now should not bound the date of birth")
	}
}

func TestExtractTickets(t *testing.T) {
	t.Parallel()
	only := []string{EntityTicketNo, EntityDate, EntityPhone}
	tk := func(v, span string) want { return want{EntityTicketNo, v, span} }
	runEntityCases(t, []entityCase{
		{text: "工单20261127-000123进度", want: []want{tk("20261127-000123", "20261127-000123")}, only: only},
		{text: "😀20261130-000456", want: []want{tk("20261130-000456", "20261130-000456")}, only: only},
		{text: "工单号：20261127000123", want: []want{tk("20261127-000123", "20261127000123")}, only: only},
		{text: "单号是20261127000123", want: []want{tk("20261127-000123", "20261127000123")}, only: only},
		{text: "编号20261127000123", want: []want{tk("20261127-000123", "20261127000123")}, only: only},
		{text: "快递20261127000123", want: nil, only: only},   // no dash, no 工单
		{text: "工单20261327-000123", want: nil, only: only},  // month 13
		{text: "工单20260230-000123", want: nil, only: only},  // 30 February
		{text: "工单20261127-0001234", want: nil, only: only}, // seven digits
		{text: "工单120261127-000123", want: nil, only: only}, // nine-digit date
		{text: "２０２６１１２７－０００１２３", want: []want{tk("20261127-000123", "２０２６１１２７－０００１２３")}, only: only},
	})
}
