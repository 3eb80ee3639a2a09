package workorder

import (
	"fmt"
	"strings"
	"time"
)

// seqDigits is the width of the per-day sequence. A day with more than
// 999999 orders gets longer numbers, still unique.
const seqDigits = 6

// seqTTL keeps a day's counter a day past the day, long enough for any
// clock skew between instances, short enough not to pile up.
const seqTTL = 48 * time.Hour

// seqCounter names the store counter of a day's sequence.
func seqCounter(date string) string { return "workorder:seq:" + date }

// formatNumber writes a work order number: "20261127-000123".
func formatNumber(date string, seq int64) string {
	return fmt.Sprintf("%s-%0*d", date, seqDigits, seq)
}

// ParseNumber reads a work order number as a citizen may type it in chat:
// with full-width digits, spaces, a full-width or no dash, or "工单号" and
// punctuation around it ("工单号：20261127 000123。"). It returns the
// canonical number and whether s holds one, and nothing else: text with
// other words or digits in it is not a number.
func ParseNumber(s string) (string, bool) {
	var digits []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r >= '０' && r <= '９':
			digits = append(digits, byte(r-'０'+'0'))
		case strings.ContainsRune(" \t\u3000-－—_#＃:：.。号工单查询", r):
		default:
			return "", false
		}
	}
	if len(digits) < 8+seqDigits {
		return "", false
	}
	date, seq := string(digits[:8]), string(digits[8:])
	if _, err := time.Parse("20060102", date); err != nil {
		return "", false
	}
	if len(seq) > seqDigits && seq[0] == '0' {
		return "", false // only numbers past 999999 are longer, never with a leading zero
	}
	return date + "-" + seq, true
}
