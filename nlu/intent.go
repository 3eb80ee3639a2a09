package nlu

// Intent is what the citizen wants from a message.
type Intent string

// The intents the model tells apart (kb-data/nlu/README.md defines each).
const (
	IntentConsult      Intent = "consult"       // 咨询: how, where, what
	IntentComplaint    Intent = "complaint"     // 投诉: a service failed me
	IntentReport       Intent = "report"        // 举报: someone breaks the rules
	IntentHelp         Intent = "help"          // 求助: help with a difficulty
	IntentSuggestion   Intent = "suggestion"    // 建议
	IntentPraise       Intent = "praise"        // 表扬
	IntentGreeting     Intent = "greeting"      // 你好, 在吗
	IntentThanks       Intent = "thanks"        // 谢谢
	IntentGoodbye      Intent = "goodbye"       // 再见, 没事了
	IntentHuman        Intent = "human"         // 转人工: asks for a person
	IntentTicketStatus Intent = "ticket_status" // asks about an earlier appeal
	IntentOther        Intent = "other"         // off topic
)
