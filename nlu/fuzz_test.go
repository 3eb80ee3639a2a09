package nlu

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are shared by the fuzz targets; more seeds live in
// testdata/fuzz/<target>/.
var fuzzSeeds = []string{
	"",
	"我的电话13812345678，谢谢",
	"😀您好！电话１３８-1234-5678，明天下午3点到青山区建设路18号幸福小区3栋2单元502室",
	"身份证11010519491231002X，工单20261127-000123，车牌粤B·D12345",
	"(+86)138 1234 5678 (0571)8888-6666 0086-13912345678",
	"上上周日 下个月底 2026.3.5 3.5号 二〇二六年三月五日 晚上12点 9:05:30",
	"厨房有煤气味，孩子被锁在车里，车里很热，没有人受伤",
	"有人要跳楼价？是不是中毒了？有没有人受伤",
	"\xff\xfe无效的UTF-8\x80",
	"路路路路路路小区小区号号号栋栋",
}

func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	x := testExtractor(f)
	f.Fuzz(func(t *testing.T, text string) {
		got := x.Extract(text, testNow)
		runes := []rune(text)
		prevEnd := 0
		for _, e := range got {
			if e.Start < prevEnd || e.Start >= e.End || e.End > len(runes) {
				t.Fatalf("Extract(%q): bad entity %+v (after %d, %d runes)", text, e, prevEnd, len(runes))
			}
			prevEnd = e.End
			if len(runes[e.Start:e.End]) == 0 || e.Value == "" || !utf8.ValidString(e.Value) {
				t.Fatalf("Extract(%q): empty or invalid entity %+v", text, e)
			}
			if e.Type == EntityAddress && e.Value != string(runes[e.Start:e.End]) {
				t.Fatalf("Extract(%q): address value %q is not its span", text, e.Value)
			}
		}
		for _, p := range Phones(text) {
			if p == "" {
				t.Fatalf("Phones(%q): empty number", text)
			}
		}
	})
}

func FuzzDetectUrgency(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		level, words := DetectUrgency(text)
		switch level {
		case UrgencyNone:
			if len(words) != 0 {
				t.Fatalf("DetectUrgency(%q) = none with words %q", text, words)
			}
		case UrgencyUrgent, UrgencyEmergency:
			if len(words) == 0 {
				t.Fatalf("DetectUrgency(%q) = %s without words", text, level)
			}
		default:
			t.Fatalf("DetectUrgency(%q) = unknown level %q", text, level)
		}
		for _, w := range words {
			if w == "" || !strings.Contains(text, w) {
				t.Fatalf("DetectUrgency(%q): word %q is not in the text", text, w)
			}
		}
		nums := EmergencyNumbers(text)
		if (level == UrgencyEmergency) != (len(nums) > 0) {
			t.Fatalf("DetectUrgency(%q) = %s but EmergencyNumbers = %q", text, level, nums)
		}
	})
}
