// Package privacy hides citizens' private numbers in text that leaves the
// conversation it was written in (statistics, dashboards, exports).
package privacy

import "regexp"

// longNumber matches runs of six or more digits, allowing the spaces and
// dashes people type inside phone numbers and a trailing X of ID numbers:
// phone numbers, ID numbers, bank cards, licence numbers.
var longNumber = regexp.MustCompile(`[0-9０-９][0-9０-９ \-]{4,}[0-9０-９][0-9０-９xX]*`)

// MaskNumbers replaces every number of six or more digits in text with
// [号码].
func MaskNumbers(text string) string {
	return longNumber.ReplaceAllStringFunc(text, func(s string) string {
		digits := 0
		for _, r := range s {
			if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
				digits++
			}
		}
		if digits < 6 {
			return s
		}
		return "[号码]"
	})
}
