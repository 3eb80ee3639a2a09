package handoff

// What citizens read from the hand-off. Polite, standard, short: many read
// on a phone in a hurry.
const (
	textAccepted    = "您好，人工客服%s已为您接入，请问有什么可以帮您？"
	textTransferred = "正在为您转接其他客服，请稍候，感谢您的耐心等待。"
	textReturned    = "客服连接中断，正在为您重新安排客服，请稍候，感谢您的耐心等待。"
	textSurvey      = "本次人工服务已结束，感谢您的来信。请您对本次服务作出评价："
)

// SurveyOptions are the satisfaction survey's answers, best first; their
// scores are 4 (非常满意) down to 1 (不满意).
var SurveyOptions = [4]string{"非常满意", "满意", "基本满意", "不满意"}

// SurveyScore returns the score of a survey answer, 0 if text is none.
func SurveyScore(text string) int {
	for i, o := range SurveyOptions {
		if text == o {
			return len(SurveyOptions) - i
		}
	}
	return 0
}
