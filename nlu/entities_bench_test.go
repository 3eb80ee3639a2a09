package nlu

import (
	"testing"
	"unicode/utf8"
)

// benchShort is a 30-character message, benchLong a 300-character one.
var (
	benchShort = "明天下午三点燃气有点味道，地址青山区建设路18号，电话138"
	benchLong  = "尊敬的领导：我是青山区建设路18号幸福小区3栋2单元502室的住户，电话13812345678。" +
		"上周三下午三点左右，小区东门的井盖不见了，已经有人差点掉进去，我当天就打了电话，工单号20261118-000321，" +
		"到现在还没有人来处理。昨天晚上8点半，一位老人路过时摔倒了，腿受伤，家属开着车牌浙A·D12345的车送去了医院。" +
		"另外楼道里经常有人给电动车充电，电线从窗户吊下来，物业说管不了。请相关部门12月1日前派人来看看，" +
		"把井盖补上，并在路口设置警示标志，谢谢！我的身份证号11010519491231002X，联系电话0571-88886666。"
)

func BenchmarkExtract(b *testing.B) {
	x := testExtractor(b)
	for _, bc := range []struct{ name, text string }{{"30", benchShort}, {"300", benchLong}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x.Extract(bc.text, testNow)
			}
		})
	}
}

func BenchmarkDetectUrgency(b *testing.B) {
	for _, bc := range []struct{ name, text string }{{"30", benchShort}, {"300", benchLong}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DetectUrgency(bc.text)
			}
		})
	}
}

// BenchmarkEntitiesAndUrgency is what dialog pays per message: both.
func BenchmarkEntitiesAndUrgency(b *testing.B) {
	x := testExtractor(b)
	for _, bc := range []struct{ name, text string }{{"30", benchShort}, {"300", benchLong}} {
		b.Run(bc.name, func(b *testing.B) {
			if n := utf8.RuneCountInString(bc.text); n < 28 || (bc.name == "300" && n < 250) {
				b.Fatalf("%s: %d runes", bc.name, n)
			}
			b.ReportAllocs()
			for b.Loop() {
				x.Extract(bc.text, testNow)
				DetectUrgency(bc.text)
				EmergencyNumbers(bc.text)
			}
		})
	}
}
