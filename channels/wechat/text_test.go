package wechat

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkSplit checks SplitText's promises for one input and returns the
// parts with the offset in text where each ends: each part non-empty,
// trimmed, within limit, valid UTF-8 when the input is, and the parts are
// the text in order with only whitespace between them.
func checkSplit(t *testing.T, text string, limit int) (parts []string, ends []int) {
	t.Helper()
	parts = SplitText(text, limit)
	eff := limit
	if eff <= 0 {
		eff = TextLimit
	}
	eff = max(eff, utf8.UTFMax)
	valid := utf8.ValidString(text)
	pos := 0
	for i, p := range parts {
		if p == "" || strings.TrimSpace(p) != p {
			t.Fatalf("part %d %q is empty or not trimmed", i, p)
		}
		if len(p) > eff {
			t.Fatalf("part %d is %d bytes, limit %d", i, len(p), eff)
		}
		if valid && !utf8.ValidString(p) {
			t.Fatalf("part %d %q breaks a character", i, p)
		}
		at := strings.Index(text[pos:], p)
		if at < 0 || strings.TrimSpace(text[pos:pos+at]) != "" {
			t.Fatalf("part %d %q is not the next text after %q", i, p, text[:pos])
		}
		pos += at + len(p)
		ends = append(ends, pos)
	}
	if strings.TrimSpace(text[pos:]) != "" {
		t.Fatalf("text lost at the end: %q", text[pos:])
	}
	if (strings.TrimSpace(text) == "") != (len(parts) == 0) {
		t.Fatalf("%d parts for %q", len(parts), text)
	}
	return parts, ends
}

func TestSplitTextExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "您好。", 100, []string{"您好。"}},
		{"trimmed", "  您好。\n", 100, []string{"您好。"}},
		{"empty", "", 100, nil},
		{"whitespace only", " \n\t　", 100, nil},
		// Each sentence is 9 bytes ("一二。" = 3 runes × 3 bytes).
		{"sentences packed", "一二。三四。五六。七八。", 18, []string{"一二。三四。", "五六。七八。"}},
		{"question and exclamation", "能办吗？能！好的；谢谢。", 15, []string{"能办吗？", "能！好的；", "谢谢。"}},
		{"closing quote stays", "他说：“好。”然后走了。", 21, []string{"他说：“好。”", "然后走了。"}},
		{"newline", "第一行\n第二行\n第三行", 20, []string{"第一行\n第二行", "第三行"}},
		{"clause when a sentence is too long", "甲乙丙，丁戊己，庚辛壬。", 24, []string{"甲乙丙，丁戊己，", "庚辛壬。"}},
		{"enumeration comma", "身份证、户口本、结婚证", 12, []string{"身份证、", "户口本、", "结婚证"}},
		{"space for latin text", "call the hotline today", 10, []string{"call the", "hotline", "today"}},
		{"runes as last resort", "一二三四五六七", 6, []string{"一二", "三四", "五六", "七"}},
		{"ASCII runs", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"tiny limit raised to a rune", "好好", 1, []string{"好", "好"}},
		{"four-byte runes", "😀😀😀", 5, []string{"😀", "😀", "😀"}},
		{"default limit", strings.Repeat("好", 700), 0, []string{strings.Repeat("好", 682), strings.Repeat("好", 18)}},
		// A short first sentence then a long one: fill the part at a clause
		// rather than send a near-empty message.
		{"half-full rule", "好。一二三四五，六七八九十，甲乙丙。", 42, []string{"好。一二三四五，六七八九十，", "甲乙丙。"}},
		// The only boundary is early: keep the long run whole in the next part.
		{"early boundary kept", "注意，ABCDEFGHIJKLMNOPQRSTUVWXYZ", 30, []string{"注意，", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := checkSplit(t, tc.text, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("SplitText(%q, %d)\n got  %q\n want %q", tc.text, tc.limit, got, tc.want)
			}
		})
	}
}

// randomChinese builds text from a hotline-like mix: Chinese characters,
// punctuation, digits, Latin words, spaces, newlines and the odd emoji.
func randomChinese(r *rand.Rand, n int) string {
	pieces := []string{
		"您", "好", "市", "民", "热", "线", "路", "灯", "噪", "音", "投", "诉", "办", "理", "社", "保", "公", "积", "金",
		"。", "！", "？", "；", "，", "、", "：", "“", "”", "（", "）", "\n", "\n\n", " ", "　",
		"12345", "2024", "A-001", "http://example.org/a?b=1", "ok", "😀", "\t",
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestSplitTextProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12345, 2048))
	for range 3000 {
		text := randomChinese(r, r.IntN(1500))
		limit := []int{-1, 0, 1, 3, 4, 5, 7, 16, 50, 100, 333, 1000, TextLimit}[r.IntN(13)]
		parts, ends := checkSplit(t, text, limit)
		// Every cut but a hard one is at a boundary: after a sentence end,
		// a clause mark or before whitespace. A hard cut only comes with
		// no boundary in reach, so it leaves the part (nearly) full.
		eff := max(limit, utf8.UTFMax)
		if limit <= 0 {
			eff = TextLimit
		}
		for i, p := range parts[:len(parts)-min(len(parts), 1)] {
			last, _ := utf8.DecodeLastRuneInString(p)
			next, _ := utf8.DecodeRuneInString(text[ends[i]:])
			atBoundary := isTerminator(last) || isCloser(last) || isClauseMark(last) || unicode.IsSpace(next)
			if !atBoundary && len(p) <= eff-utf8.UTFMax {
				t.Fatalf("part %d %q (limit %d) is cut short before %q", i, p, limit, text[ends[i]:])
			}
		}
	}
}

func TestSplitTextInvalidUTF8(t *testing.T) {
	t.Parallel()
	text := "好\xff\xfe坏。" + strings.Repeat("\x80", 10)
	for limit := 1; limit < 20; limit++ {
		checkSplit(t, text, limit)
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("您好。请问有什么可以帮您？", 10)
	f.Add("一二三，四五六、七八九\n十", 4)
	f.Add("", 0)
	f.Add("  \n ", 3)
	f.Add("😀😀a😀", 5)
	f.Add("好\xff坏", 2)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit > 1<<20 {
			limit = 1 << 20
		}
		checkSplit(t, text, limit)
	})
}

func TestWithOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		text    string
		options []string
		want    string
	}{
		{"no options", "您好。", nil, "您好。"},
		{"two options", "请问您要办理哪项业务？", []string{"社保查询", "公积金提取"},
			"请问您要办理哪项业务？\n\n请回复序号选择：\n1. 社保查询\n2. 公积金提取"},
		{"trailing space trimmed", "请选择：\n", []string{"是"}, "请选择：\n\n请回复序号选择：\n1. 是"},
		{"no text", "", []string{"转人工"}, "请回复序号选择：\n1. 转人工"},
		{"option kept on one line", "选：", []string{"第一\n第二  项"}, "选：\n\n请回复序号选择：\n1. 第一 第二 项"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := WithOptions(tc.text, tc.options); got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPickOption(t *testing.T) {
	t.Parallel()
	options := []string{"社保查询", "公积金提取", "转人工"}
	for _, tc := range []struct {
		reply string
		want  string
		ok    bool
	}{
		{"1", "社保查询", true},
		{"１", "社保查询", true},
		{"1.", "社保查询", true},
		{" 2 ", "公积金提取", true},
		{"２。", "公积金提取", true},
		{"3、", "转人工", true},
		{"３．", "转人工", true},
		{"\t3\n", "转人工", true},
		{"　3　", "转人工", true}, // ideographic spaces
		{"03", "转人工", true},
		{"0", "", false},
		{"4", "", false},
		{"-1", "", false},
		{"+1", "", false},
		{"1.5", "", false},
		{"1..", "", false},
		{"12", "", false},
		{"一", "", false},
		{"1 2", "", false},
		{"选1", "", false},
		{"1个", "", false},
		{"", "", false},
		{".", "", false},
		{"99999999999999999999999", "", false},
		{"我要转人工", "", false},
	} {
		got, ok := PickOption(tc.reply, options)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PickOption(%q) = %q, %v; want %q, %v", tc.reply, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := PickOption("1", nil); ok {
		t.Error("picked from no options")
	}
	// The list WithOptions shows and the numbers PickOption reads agree.
	shown := WithOptions("请选择", options)
	for i, o := range options {
		line := string(rune('1'+i)) + ". " + o
		if !strings.Contains(shown, line) {
			t.Fatalf("%q not in %q", line, shown)
		}
		if got, ok := PickOption(string(rune('1'+i)), options); !ok || got != o {
			t.Fatalf("pick %d: %q %v", i+1, got, ok)
		}
	}
}

func TestIsSpaceCoversIdeographicSpace(t *testing.T) {
	t.Parallel()
	// SplitText and PickOption rely on it for the full-width space.
	if !unicode.IsSpace('　') {
		t.Fatal("U+3000 is not a space")
	}
}
