package dialog

import "testing"

func TestMaskPrivate(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"我的电话13812345678", "我的电话[号码]"},
		{"电话 138 1234 5678 谢谢", "电话 [号码] 谢谢"},
		{"身份证11010119900307457X丢了", "身份证[号码]丢了"},
		{"座机0571-88886666", "座机[号码]"},
		{"12345热线几点上班", "12345热线几点上班"},
		{"2026年3月5日", "2026年3月5日"},
		{"全角１３８１２３４５６７８", "全角[号码]"},
	}
	for _, tt := range tests {
		if got := maskPrivate(tt.in); got != tt.want {
			t.Errorf("maskPrivate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
