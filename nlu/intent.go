package nlu

import (
	"strings"
	"unicode"
)

// Intent is what the citizen wants from the message.
type Intent string

// The intents the spine recognises. The trained classifier (a later stage)
// adds consult/complaint/report/help/… with the same type.
const (
	IntentGreeting Intent = "greeting"
	IntentThanks   Intent = "thanks"
	IntentGoodbye  Intent = "goodbye"
	// IntentHuman asks for a person (转人工).
	IntentHuman Intent = "human"
	// IntentOther is everything else; dialog treats it as a question for the
	// knowledge base.
	IntentOther Intent = "other"
)

// Parse is what the NLU layer says about one message.
type Parse struct {
	Intent Intent `json:"intent"`
}

// smallTalk holds whole-message phrases (after normalisation) per intent.
// It only decides messages that are nothing but small talk; anything with
// more content goes on to the knowledge base. The trained intent model
// replaces this table.
var smallTalk = map[Intent][]string{
	IntentGreeting: {"你好", "您好", "你好呀", "您好呀", "哈喽", "嗨", "在吗", "在不在", "有人吗", "早上好", "上午好", "中午好", "下午好", "晚上好", "hello", "hi", "你好在吗", "您好在吗", "你好请问", "您好请问"},
	IntentThanks:   {"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "太感谢了", "谢啦", "好的谢谢", "好的谢谢你", "明白了谢谢", "知道了谢谢", "thanks", "thank you"},
	IntentHuman:    {"转人工", "人工", "人工客服", "人工服务", "找人工", "我要人工", "我要转人工", "转接人工", "真人", "找真人", "人工坐席"},
	IntentGoodbye:  {"再见", "拜拜", "没有了", "没事了", "没有别的问题了", "好的再见", "谢谢再见", "bye"},
}

// ParseText recognises small talk. It has no state and is safe for
// concurrent use.
func ParseText(text string) Parse {
	norm := normalise(text)
	for intent, phrases := range smallTalk {
		for _, p := range phrases {
			if norm == p {
				return Parse{Intent: intent}
			}
		}
	}
	return Parse{Intent: IntentOther}
}

// normalise lowercases and drops everything but letters and digits, so
// "您好！" and "您好~" read the same.
func normalise(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
