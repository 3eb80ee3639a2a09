package nlu

import (
	"slices"
	"testing"
)

func TestPhones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"我的电话13812345678，谢谢", []string{"13812345678"}},
		{"座机010-87654321或者0571 88886666", []string{"010-87654321", "0571 88886666"}},
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
