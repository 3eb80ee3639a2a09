package workorder

import (
	"regexp"
	"testing"
)

func TestParseNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"20261127-000123", "20261127-000123", true},
		{"20261127000123", "20261127-000123", true},
		{" 20261127 000123 ", "20261127-000123", true},
		{"２０２６１１２７－０００１２３", "20261127-000123", true},
		{"工单号：20261127-000123。", "20261127-000123", true},
		{"查询工单 20261127-000123", "20261127-000123", true},
		{"20261127-1000000", "20261127-1000000", true},
		{"20261127-0001234", "", false},
		{"20261127-12345", "", false},
		{"20261327-000123", "", false},
		{"我的电话13812345678", "", false},
		{"20261127-000123 和 20261127-000124", "", false},
		{"", "", false},
	} {
		got, ok := ParseNumber(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

var canonicalNumber = regexp.MustCompile(`^\d{8}-(\d{6}|[1-9]\d{6,})$`)

// FuzzParseNumber checks that whatever a citizen types, ParseNumber
// gives a canonical number that parses to itself, or nothing.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"20261127-000123", "工单号：２０２６１１２７ ０００１２３。", "20261127-1000000", "138 1234 5678", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseNumber(s)
		if !ok {
			if n != "" {
				t.Fatalf("ParseNumber(%q) = %q with false", s, n)
			}
			return
		}
		if !canonicalNumber.MatchString(n) {
			t.Fatalf("ParseNumber(%q) = %q, not canonical", s, n)
		}
		if again, ok := ParseNumber(n); !ok || again != n {
			t.Fatalf("ParseNumber(%q) = %q, %v; want itself", n, again, ok)
		}
	})
}
