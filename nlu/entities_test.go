package nlu

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed "now" of the entity tests: Friday 2026-11-27 10:00
// in China (a fixed zone, so the tests need no tzdata).
var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*60*60))

var testExtractorOnce = sync.OnceValues(func() (*Extractor, error) {
	ds, err := LoadDistricts("../kb-data/nlu/districts.yaml")
	if err != nil {
		return nil, err
	}
	return NewExtractor(ds), nil
})

// testExtractor returns an Extractor with the sample city's gazetteer.
func testExtractor(tb testing.TB) *Extractor {
	tb.Helper()
	x, err := testExtractorOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

// want is an expected entity: its type, value and the span as written.
type want struct{ typ, value, span string }

// entityCase is one row of the entity tables. With only set, entities of
// other types are ignored.
type entityCase struct {
	text string
	want []want
	only []string
}

// checkInvariants checks what every Extract result must satisfy: offsets
// within the text, Start < End, sorted, no overlaps, known types.
func checkInvariants(tb testing.TB, text string, got []Entity) {
	tb.Helper()
	n := len([]rune(text))
	prevEnd := 0
	for i, e := range got {
		if e.Start < 0 || e.End > n || e.Start >= e.End {
			tb.Fatalf("%q: entity %d %+v: bad offsets for %d runes", text, i, e, n)
		}
		if e.Start < prevEnd {
			tb.Fatalf("%q: entity %d %+v overlaps or is out of order", text, i, e)
		}
		prevEnd = e.End
		switch e.Type {
		case EntityPhone, EntityIDCard, EntityTicketNo, EntityPlate, EntityDate, EntityTime, EntityAddress:
		default:
			tb.Fatalf("%q: unknown type %q", text, e.Type)
		}
		if e.Value == "" {
			tb.Fatalf("%q: entity %d %+v has no value", text, i, e)
		}
	}
}

func runEntityCases(t *testing.T, cases []entityCase) {
	t.Helper()
	x := testExtractor(t)
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			got := x.Extract(tc.text, testNow)
			checkInvariants(t, tc.text, got)
			runes := []rune(tc.text)
			var have []want
			for _, e := range got {
				if len(tc.only) > 0 && !contains(tc.only, e.Type) {
					continue
				}
				have = append(have, want{e.Type, e.Value, string(runes[e.Start:e.End])})
			}
			if fmt.Sprint(have) != fmt.Sprint(tc.want) {
				t.Errorf("Extract(%q)\n got %v\nwant %v", tc.text, have, tc.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestExtractOffsetsAreRunes(t *testing.T) {
	t.Parallel()
	x := testExtractor(t)
	// Emoji (one rune, four bytes), full-width digits and Chinese before the
	// entities: byte and rune offsets differ.
	text := "😀您好！电话１３８-1234-5678，明天下午3点到青山区建设路18号"
	got := x.Extract(text, testNow)
	checkInvariants(t, text, got)
	wantSpans := []Entity{
		{Type: EntityPhone, Value: "13812345678", Start: 6, End: 19},
		{Type: EntityDate, Value: "2026-11-28", Start: 20, End: 22},
		{Type: EntityTime, Value: "15:00", Start: 22, End: 26},
		{Type: EntityAddress, Value: "青山区建设路18号", Start: 27, End: 36},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantSpans) {
		t.Errorf("got  %v\nwant %v", got, wantSpans)
	}
	if s := string([]rune(text)[6:19]); s != "１３８-1234-5678" {
		t.Errorf("span = %q", s)
	}
}

func TestExtractOverlaps(t *testing.T) {
	t.Parallel()
	runEntityCases(t, []entityCase{
		// An ID number is never also a phone, valid or not.
		{text: "身份证110101199003074573", want: []want{{EntityIDCard, "110101199003074573", "110101199003074573"}}},
		{text: "身份证110101199003074578", want: nil},
		// A work order number is never a date.
		{text: "工单20261127-000123还没人处理", want: []want{{EntityTicketNo, "20261127-000123", "20261127-000123"}}},
		// A phone after an address stays a phone.
		{text: "幸福小区3栋138-1234-5678", want: []want{{EntityAddress, "幸福小区3栋", "幸福小区3栋"}, {EntityPhone, "13812345678", "138-1234-5678"}}},
		// Two phones side by side.
		{text: "13812345678 13912345678", want: []want{{EntityPhone, "13812345678", "13812345678"}, {EntityPhone, "13912345678", "13912345678"}}},
		// A date and time run together.
		{text: "明天下午三点", want: []want{{EntityDate, "2026-11-28", "明天"}, {EntityTime, "15:00", "下午三点"}}},
		{text: "今晚8点", want: []want{{EntityDate, "2026-11-27", "今晚"}, {EntityTime, "20:00", "8点"}}},
	})
}

func TestExtractMixed(t *testing.T) {
	t.Parallel()
	runEntityCases(t, []entityCase{
		{
			text: "我叫张三，身份证11010519491231002X，电话0571-88886666，车牌浙A·D12345，工单20261127-000123，上周三下午三点在临江区江畔花园门口被剐蹭",
			want: []want{
				{EntityIDCard, "11010519491231002X", "11010519491231002X"},
				{EntityPhone, "0571-88886666", "0571-88886666"},
				{EntityPlate, "浙AD12345", "浙A·D12345"},
				{EntityTicketNo, "20261127-000123", "20261127-000123"},
				{EntityDate, "2026-11-18", "上周三"},
				{EntityTime, "15:00", "下午三点"},
				{EntityAddress, "临江区江畔花园", "临江区江畔花园"},
			},
		},
		{text: "", want: nil},
		{text: "你好，我想问一下社保卡怎么补办", want: nil},
	})
}

func TestExtractPlates(t *testing.T) {
	t.Parallel()
	only := []string{EntityPlate}
	runEntityCases(t, []entityCase{
		{text: "车牌京A12345", want: []want{{EntityPlate, "京A12345", "京A12345"}}, only: only},
		{text: "粤B·D12345占道", want: []want{{EntityPlate, "粤BD12345", "粤B·D12345"}}, only: only},
		{text: "粤B12345D是货车", want: []want{{EntityPlate, "粤B12345D", "粤B12345D"}}, only: only},
		{text: "沪a•12345", want: []want{{EntityPlate, "沪A12345", "沪a•12345"}}, only: only},
		{text: "苏E 8K2Q6", want: []want{{EntityPlate, "苏E8K2Q6", "苏E 8K2Q6"}}, only: only},
		{text: "京A1234警", want: []want{{EntityPlate, "京A1234警", "京A1234警"}}, only: only},
		{text: "粤Z1234港", want: []want{{EntityPlate, "粤Z1234港", "粤Z1234港"}}, only: only},
		{text: "🚗ＪＡ京Ａ１２３４５", want: []want{{EntityPlate, "京A12345", "京Ａ１２３４５"}}, only: only},
		{text: "京AI2345", want: nil, only: only},   // I is never used
		{text: "京AO2345", want: nil, only: only},   // nor O
		{text: "京A123", want: nil, only: only},     // too short
		{text: "京A1234567", want: nil, only: only}, // too long
		{text: "粤BX12345", want: nil, only: only},  // six, not new-energy
		{text: "新ABCDE很好", want: nil, only: only},  // letters only
		{text: "粤B12345D和京A·F1234", want: []want{{EntityPlate, "粤B12345D", "粤B12345D"}, {EntityPlate, "京AF1234", "京A·F1234"}}, only: only},
	})
}

func TestExtractInvariantsOnNoise(t *testing.T) {
	t.Parallel()
	x := testExtractor(t)
	for _, text := range []string{
		"1", "号", "3栋", "-", "(0", "(0571)", "+86", "0086", "京", "京A", "周", "下周", "三点", "点", "月底了",
		"1-2-3-4-5-6-7-8-9-0", "１２３４５６７８９０１２３４５６７８９０", "20261127-", "2026年", "2026-13-45",
		strings.Repeat("路", 50), strings.Repeat("青山区", 20), strings.Repeat("13812345678", 5),
	} {
		checkInvariants(t, text, x.Extract(text, testNow))
	}
}

// TestPlaceAndTime: the place and the time as written, 明天 and 下午3点
// read as one time, the first of each kind kept.
func TestPlaceAndTime(t *testing.T) {
	t.Parallel()
	x := testExtractor(t)
	for _, tc := range []struct{ text, where, when string }{
		{"😀您好！明天下午3点到青山区建设路18号，后天也行", "青山区建设路18号", "明天下午3点"},
		{"建设路18号的路灯坏了", "建设路18号", ""},
		{"社保卡丢了怎么办", "", ""},
	} {
		where, when := PlaceAndTime(tc.text, x.Extract(tc.text, testNow))
		if where != tc.where || when != tc.when {
			t.Errorf("PlaceAndTime(%q) = %q, %q; want %q, %q", tc.text, where, when, tc.where, tc.when)
		}
	}
}
