package wechat

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextLimit is the most bytes (UTF-8) of text sent in one WeChat text
// message: 2048 bytes, about 680 Chinese characters. WeChat's
// official-account documentation gives no figure. The customer-service
// API answers longer text with errcode 45002 "content size out of limit";
// 2048 bytes is what developers measured there and what is answered in
// WeChat's developer community
// (https://developers.weixin.qq.com/community/develop/doc/00084e2936c340b9015a753405b800,
// measured again in https://github.com/MamaShip/Observer/issues/77), and
// WeCom's customer-service API, on the same platform, documents
// "最长不超过2048个字节". The same limit is applied to passive replies,
// for which nothing is published.
const TextLimit = 2048

// SplitText cuts text into parts of at most limit bytes of UTF-8 each, to
// be sent as consecutive messages (limit ≤ 0 means TextLimit; limits
// under 4 are raised to 4 so that any character fits). Each cut is made at
// the last sentence end (。！？；or a newline, with any closing quotes or
// brackets after it) that keeps the part at least half full; failing
// that, at the last clause mark (，、), then at the last space; failing
// all, at the furthest of those, and only as a last resort between two
// characters. Fuller parts matter: customer-service messages are limited
// to 5 per 48 hours.
//
// A character is never broken, no text is lost, and no part is empty:
// joining the parts gives the trimmed text back, less the whitespace at
// each cut. Empty or all-whitespace text gives no parts.
func SplitText(text string, limit int) []string {
	if limit <= 0 {
		limit = TextLimit
	}
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax
	}
	var parts []string
	rest := strings.TrimSpace(text)
	for rest != "" {
		if len(rest) <= limit {
			parts = append(parts, rest)
			break
		}
		cut := cutPoint(rest, limit)
		parts = append(parts, strings.TrimRightFunc(rest[:cut], unicode.IsSpace))
		rest = strings.TrimLeftFunc(rest[cut:], unicode.IsSpace)
	}
	return parts
}

// cutPoint returns where to end the next part of s, which is longer than
// limit: a byte offset in (0, limit] at a character boundary. s starts
// with a non-space character, so the part before the cut is not empty
// once trimmed.
func cutPoint(s string, limit int) int {
	var sentence, clause, space, char int
	var prev rune
	ending := false // prev ends a sentence (a terminator, maybe followed by closers)
	for i, r := range s {
		if i > limit {
			break
		}
		if i > 0 {
			char = i
			switch {
			case ending && !isTerminator(r) && !isCloser(r):
				sentence = i
			case isClauseMark(prev):
				clause = i
			case unicode.IsSpace(prev):
				space = i
			}
		}
		ending = isTerminator(r) || (ending && isCloser(r))
		prev = r
	}
	for _, at := range []int{sentence, clause, space} {
		if at >= limit/2 {
			return at
		}
	}
	if at := max(sentence, clause, space); at > 0 {
		return at
	}
	return char // s holds at least two characters, so char > 0
}

func isTerminator(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '\n':
		return true
	}
	return false
}

// isCloser reports closing quotes and brackets, which stay with the
// sentence they end: 他说：“好。”
func isCloser(r rune) bool {
	switch r {
	case '”', '’', '」', '』', '）', ')', '】', '》', '〉', '"', '\'':
		return true
	}
	return false
}

func isClauseMark(r rune) bool {
	return r == '，' || r == '、'
}

// WithOptions appends options to text as a numbered list the citizen
// answers with the number (PickOption reads the answer): WeChat has no
// buttons like the web widget's. Each option stays on one line. Without
// options, text is returned as it is.
func WithOptions(text string, options []string) string {
	if len(options) == 0 {
		return text
	}
	var b strings.Builder
	if text = strings.TrimRightFunc(text, unicode.IsSpace); text != "" {
		b.WriteString(text)
		b.WriteString("\n\n")
	}
	b.WriteString("请回复序号选择：")
	for i, o := range options {
		b.WriteString("\n")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(strings.Join(strings.Fields(o), " "))
	}
	return b.String()
}

// PickOption reads a citizen's answer to a WithOptions list: a number from
// 1 to len(options), in ASCII or full-width digits, with surrounding
// spaces and one trailing "." "。" "、" or "．" allowed ("1", "１", "2.",
// " 3 "). It returns the option picked, or false for anything else, which
// is then an ordinary message.
func PickOption(reply string, options []string) (string, bool) {
	s := strings.TrimSpace(reply)
	for _, dot := range []string{".", "。", "、", "．"} {
		if t, ok := strings.CutSuffix(s, dot); ok {
			s = strings.TrimSpace(t)
			break
		}
	}
	if s == "" || len(s) > 12 {
		return "", false
	}
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
		case r >= '０' && r <= '９':
			n = n*10 + int(r-'０')
		default:
			return "", false
		}
	}
	if n < 1 || n > len(options) {
		return "", false
	}
	return options[n-1], true
}
