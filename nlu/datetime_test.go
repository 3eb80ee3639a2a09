package nlu

import (
	"fmt"
	"testing"
	"time"
)

// dateCase is one row of the date and time tables: the entities of types
// date and time, with now (testNow when zero).
type dateCase struct {
	text string
	now  time.Time
	want []want
}

func runDateCases(t *testing.T, cases []dateCase) {
	t.Helper()
	x := testExtractor(t)
	for _, tc := range cases {
		name := tc.text
		if !tc.now.IsZero() {
			name += "@" + tc.now.Format("2006-01-02Mon")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			got := x.Extract(tc.text, now)
			checkInvariants(t, tc.text, got)
			runes := []rune(tc.text)
			var have []want
			for _, e := range got {
				if e.Type == EntityDate || e.Type == EntityTime {
					have = append(have, want{e.Type, e.Value, string(runes[e.Start:e.End])})
				}
			}
			if fmt.Sprint(have) != fmt.Sprint(tc.want) {
				t.Errorf("Extract(%q)\n got %v\nwant %v", tc.text, have, tc.want)
			}
		})
	}
}

func d(v, span string) want  { return want{EntityDate, v, span} }
func tm(v, span string) want { return want{EntityTime, v, span} }

func day(y int, m time.Month, dd int) time.Time {
	return time.Date(y, m, dd, 9, 0, 0, 0, testNow.Location())
}

func TestExtractRelativeDates(t *testing.T) {
	t.Parallel()
	runDateCases(t, []dateCase{
		{text: "今天", want: []want{d("2026-11-27", "今天")}},
		{text: "我明天去", want: []want{d("2026-11-28", "明天")}},
		{text: "后天能办吗", want: []want{d("2026-11-29", "后天")}},
		{text: "大后天", want: []want{d("2026-11-30", "大后天")}},
		{text: "昨天来过", want: []want{d("2026-11-26", "昨天")}},
		{text: "前天打过电话", want: []want{d("2026-11-25", "前天")}},
		{text: "大前天", want: []want{d("2026-11-24", "大前天")}},
		{text: "昨晚十一点", want: []want{d("2026-11-26", "昨晚"), tm("23:00", "十一点")}},
		{text: "明早7点", want: []want{d("2026-11-28", "明早"), tm("07:00", "7点")}},
		{text: "明天下午三点", want: []want{d("2026-11-28", "明天"), tm("15:00", "下午三点")}},
		{text: "明天@year end", now: day(2026, 12, 31), want: []want{d("2027-01-01", "明天")}},
		{text: "以后天气好了再去", want: nil},
		{text: "😀👍昨天", want: []want{d("2026-11-26", "昨天")}},
	})
}

func TestExtractWeekdays(t *testing.T) {
	t.Parallel()
	runDateCases(t, []dateCase{
		// testNow is Friday 2026-11-27; its week runs Mon 23 to Sun 29.
		{text: "上周三", want: []want{d("2026-11-18", "上周三")}},
		{text: "上个周三", want: []want{d("2026-11-18", "上个周三")}},
		{text: "这周五", want: []want{d("2026-11-27", "这周五")}},
		{text: "本周一", want: []want{d("2026-11-23", "本周一")}},
		{text: "下周一", want: []want{d("2026-11-30", "下周一")}},
		{text: "下个星期一", want: []want{d("2026-11-30", "下个星期一")}},
		{text: "下下周一", want: []want{d("2026-12-07", "下下周一")}},
		{text: "上上周日", want: []want{d("2026-11-15", "上上周日")}},
		{text: "周日", want: []want{d("2026-11-29", "周日")}},
		{text: "星期天", want: []want{d("2026-11-29", "星期天")}},
		{text: "礼拜天", want: []want{d("2026-11-29", "礼拜天")}},
		{text: "星期一", want: []want{d("2026-11-23", "星期一")}},
		{text: "下周一上午9点半", want: []want{d("2026-11-30", "下周一"), tm("09:30", "上午9点半")}},
		// Week boundaries: on Sunday this week is still Monday 23 to Sunday 29…
		{text: "这周一", now: day(2026, 11, 29), want: []want{d("2026-11-23", "这周一")}},
		{text: "下周一", now: day(2026, 11, 29), want: []want{d("2026-11-30", "下周一")}},
		{text: "周日", now: day(2026, 11, 29), want: []want{d("2026-11-29", "周日")}},
		// …and on Monday a new week starts.
		{text: "上周日", now: day(2026, 11, 30), want: []want{d("2026-11-29", "上周日")}},
		{text: "这周日", now: day(2026, 11, 30), want: []want{d("2026-12-06", "这周日")}},
		{text: "下周一", now: day(2026, 12, 31), want: []want{d("2027-01-04", "下周一")}},
		// Not dates.
		{text: "每周三开放", want: nil},
		{text: "周一到周五上班", want: nil},
		{text: "星期一至星期五", want: nil},
		{text: "一周内办结", want: nil},
	})
}

func TestExtractAbsoluteDates(t *testing.T) {
	t.Parallel()
	runDateCases(t, []dateCase{
		{text: "3月5日", want: []want{d("2026-03-05", "3月5日")}},
		{text: "3月5号来办", want: []want{d("2026-03-05", "3月5号")}},
		{text: "三月五号", want: []want{d("2026-03-05", "三月五号")}},
		{text: "十一月二十七日", want: []want{d("2026-11-27", "十一月二十七日")}},
		{text: "１２月３１日", want: []want{d("2026-12-31", "１２月３１日")}},
		{text: "2026年3月5日", want: []want{d("2026-03-05", "2026年3月5日")}},
		{text: "二〇二六年三月五日", want: []want{d("2026-03-05", "二〇二六年三月五日")}},
		{text: "二零二五年十二月一号", want: []want{d("2025-12-01", "二零二五年十二月一号")}},
		{text: "去年3月5日", want: []want{d("2025-03-05", "去年3月5日")}},
		{text: "明年1月1日", want: []want{d("2027-01-01", "明年1月1日")}},
		{text: "2026-03-05", want: []want{d("2026-03-05", "2026-03-05")}},
		{text: "2026/3/5", want: []want{d("2026-03-05", "2026/3/5")}},
		{text: "2026.3.5", want: []want{d("2026-03-05", "2026.3.5")}},
		{text: "3.5号", want: []want{d("2026-03-05", "3.5号")}},
		{text: "2028年2月29日", want: []want{d("2028-02-29", "2028年2月29日")}},
		{text: "12月10日下午两点", want: []want{d("2026-12-10", "12月10日"), tm("14:00", "下午两点")}},
		// Not dates.
		{text: "2026年2月29日", want: nil},
		{text: "2月30日", want: nil},
		{text: "13月1日", want: nil},
		{text: "涨了3.5个点", want: nil},
		{text: "三个月了", want: nil},
		{text: "2026年", want: nil},
		{text: "12026-03-05", want: nil},
		{text: "2026-03-051", want: nil},
	})
}

func TestExtractMonthRelativeAndHolidays(t *testing.T) {
	t.Parallel()
	runDateCases(t, []dateCase{
		{text: "月底", want: []want{d("2026-11-30", "月底")}},
		{text: "月初", want: []want{d("2026-11-01", "月初")}},
		{text: "上个月15号", want: []want{d("2026-10-15", "上个月15号")}},
		{text: "上月三号", want: []want{d("2026-10-03", "上月三号")}},
		{text: "下个月3号", want: []want{d("2026-12-03", "下个月3号")}},
		{text: "本月20日", want: []want{d("2026-11-20", "本月20日")}},
		{text: "上个月底", want: []want{d("2026-10-31", "上个月底")}},
		{text: "下月初", want: []want{d("2026-12-01", "下月初")}},
		{text: "3月底", want: []want{d("2026-03-31", "3月底")}},
		{text: "2月底", want: []want{d("2026-02-28", "2月底")}},
		{text: "下个月底@December", now: day(2026, 12, 15), want: []want{d("2027-01-31", "下个月底")}},
		{text: "每月底", want: nil},
		{text: "元旦", want: []want{d("2027-01-01", "元旦")}},
		{text: "国庆节", want: []want{d("2027-10-01", "国庆节")}},
		{text: "圣诞节", want: []want{d("2026-12-25", "圣诞节")}},
	})
}

func TestExtractTimes(t *testing.T) {
	t.Parallel()
	runDateCases(t, []dateCase{
		{text: "下午三点", want: []want{tm("15:00", "下午三点")}},
		{text: "15:30", want: []want{tm("15:30", "15:30")}},
		{text: "１５：３０", want: []want{tm("15:30", "１５：３０")}},
		{text: "9:05:30", want: []want{tm("09:05", "9:05:30")}},
		{text: "晚上8点半", want: []want{tm("20:30", "晚上8点半")}},
		{text: "早上七点一刻", want: []want{tm("07:15", "早上七点一刻")}},
		{text: "下午5点三刻", want: []want{tm("17:45", "下午5点三刻")}},
		{text: "凌晨两点", want: []want{tm("02:00", "凌晨两点")}},
		{text: "中午12点", want: []want{tm("12:00", "中午12点")}},
		{text: "中午1点", want: []want{tm("13:00", "中午1点")}},
		{text: "三点钟", want: []want{tm("15:00", "三点钟")}},
		{text: "十点", want: []want{tm("10:00", "十点")}},
		{text: "8点05", want: []want{tm("08:05", "8点05")}},
		{text: "下午三点二十", want: []want{tm("15:20", "下午三点二十")}},
		{text: "三点零五分", want: []want{tm("15:05", "三点零五分")}},
		{text: "上午10点30分", want: []want{tm("10:30", "上午10点30分")}},
		{text: "晚上12点", want: []want{tm("00:00", "晚上12点")}},
		{text: "晚上十一点", want: []want{tm("23:00", "晚上十一点")}},
		{text: "夜里两点", want: []want{tm("02:00", "夜里两点")}},
		{text: "15点整", want: []want{tm("15:00", "15点整")}},
		{text: "15时30分", want: []want{tm("15:30", "15时30分")}},
		{text: "9:00-17:00", want: []want{tm("09:00", "9:00"), tm("17:00", "17:00")}},
		{text: "9点到5点", want: []want{tm("09:00", "9点"), tm("17:00", "5点")}},
		{text: "😀下午3点", want: []want{tm("15:00", "下午3点")}},
		// Not times.
		{text: "快一点", want: nil},
		{text: "有两点建议", want: nil},
		{text: "一点也不好", want: nil},
		{text: "早一点", want: nil},
		{text: "晚一点", want: nil},
		{text: "几点上班", want: nil},
		{text: "25:00", want: nil},
		{text: "比分3:2", want: nil},
		{text: "24小时", want: nil},
	})
}
