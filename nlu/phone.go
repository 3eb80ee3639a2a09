package nlu

import "regexp"

// phonePattern matches Chinese mobile numbers (11 digits starting 13–19)
// and landlines with an area code (010-12345678, 0571 8888 6666), not inside
// longer digit runs such as ID numbers.
var phonePattern = regexp.MustCompile(`(?:^|[^0-9])((?:1[3-9][0-9]{9})|(?:0[1-9][0-9]{1,2}[- ]?[0-9]{7,8}))(?:[^0-9]|$)`)

// Phones returns the phone numbers written in text, in order.
func Phones(text string) []string {
	var out []string
	for _, m := range phonePattern.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}
