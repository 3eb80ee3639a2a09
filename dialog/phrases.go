package dialog

// What the bot says. Polite standard Chinese, as the hotline's service norms
// ask (您好, 请, 感谢您的耐心等待). Kept in one place so that a city can review
// every sentence a citizen may see.
const (
	textWelcome = "您好！欢迎使用本市12345政务服务便民热线在线服务，我是智能客服。" +
		"我可以为您解答社保、医保、公积金、户籍、交通、住房等方面的政策问题，请直接输入您的问题，例如“社保卡丢了怎么办”。\n" +
		"如遇火灾、治安、急救等紧急情况，请立即拨打119、110、120。"
	textGreeting = "您好！很高兴为您服务，请问有什么可以帮您？"
	textThanks   = "不客气，感谢您的支持！如还有其他问题，请随时提问。"
	textGoodbye  = "感谢您使用本市12345政务服务便民热线，祝您生活愉快，再见！"
	// textHuman answers a request for a person when no hand-off is
	// configured (hotline chat, tests of the bot alone).
	textHuman = "抱歉，目前暂时无法为您转接人工客服。" +
		"您可以选择“留言”，留下问题和联系电话，工作人员会在工作时间内与您联系；也可以直接拨打12345热线电话，由话务员为您服务。"
	textTicketStatus = "在线查询工单进度的功能正在建设中。您可以拨打12345热线电话，提供工单编号和登记时留下的联系电话查询办理进度；" +
		"也可以选择“留言”，工作人员会在工作时间内与您联系。"
	textPraise = "感谢您的肯定和鼓励！如需表扬具体的单位或工作人员，请选择“留言”，写明单位、人员和事由，我们会转达给相关部门。"
	// textAppeal starts taking a complaint, report, request for help or
	// suggestion as a message for the staff (the work order system
	// replaces this with a full intake).
	textAppeal = "您反映的问题需要工作人员登记后转交有关部门办理，我已记下您刚才的描述。" +
		"为便于工作人员联系您，请补充您的联系电话（手机或座机）；如需补充地点、时间等情况，也请一并写上。如需取消，请回复“取消”。"
	textUrgent = "您反映的情况比较紧急，已为您优先标记。如情况危及人身安全，请立即拨打110、119或120。"

	textClarify = "您是想问以下哪个问题？请点击选择，或换个说法再描述一下："
	textNone    = "抱歉，暂时没有找到与您的问题相符的政策答复。您可以：\n" +
		"1. 换个说法，把具体事项说得更详细一些再问一次；\n" +
		"2. 点击下方的常见主题；\n" +
		"3. 选择“留言”，留下问题和联系电话，工作人员会在工作时间内与您联系；\n" +
		"4. 拨打12345热线电话咨询。"
	textBusy = "抱歉，系统暂时繁忙，请您稍后再试，感谢您的耐心等待。"

	textLeaveMessage = "请您在一条消息中写明要反映的事项、发生地点和联系电话（手机或座机），我们会尽快安排工作人员与您联系。如需取消，请回复“取消”。"
	textNeedPhone    = "为便于工作人员联系您，请补充您的联系电话（手机或座机）。如需取消，请回复“取消”。"
	textMessageTaken = "您的留言已记录，工作人员会在工作时间内通过您留下的电话与您联系。感谢您的耐心等待！"
	textCancelled    = "已取消留言。请问还有什么可以帮您？"

	textRated = "感谢您的评价！我们会不断改进服务。"

	// Hand-off to agents.
	textQueued = "正在为您转接人工客服，请稍候。排队期间您可以继续输入要反映的情况，客服接入后会一并看到。" +
		"如不想等待，请点击“取消排队”返回智能客服。"
	textQueuedEmergency = "已为您优先转接人工客服，请保持在线。"
	textUnanswered      = "抱歉，我暂时没能找到您要的答案。"
	textAgentsClosed    = "人工客服的服务时间为%s，现在不在服务时间内。" +
		"您可以选择“留言”，留下问题和联系电话，工作人员会在工作时间内尽快与您联系。"
	textAgentsReopen   = "人工服务将于%s恢复。"
	textNoAgents       = "抱歉，目前没有空闲的人工客服。您可以选择“留言”，留下问题和联系电话，工作人员会尽快与您联系；也可以稍后再试。"
	textQueueCancelled = "已取消排队，请问还有什么可以帮您？"

	// Work orders.
	textOrderTaken = "您的诉求已登记，工单编号：%s。我们将在%s前答复您，请保持电话畅通。" +
		"您可随时发送工单编号查询办理进度。感谢您的耐心等待！"
	textOrderLine     = "工单 %s（%s）：%s，答复期限 %s。"
	textOrderUnknown  = "未查询到该工单，请核对工单编号。为保护个人信息，只能查询在本对话中登记的工单；如需帮助，请选择“留言”或拨打12345热线。"
	textOrderFinished = "您反映的问题（工单 %s）已办结，承办单位答复如下：\n%s\n请您对办理结果作出评价："
	textOrderReopened = "很抱歉办理结果未能让您满意。工单 %s 已转回承办单位重新办理，我们会尽快再次答复您。"
	textOrderNone     = "您在本对话中还没有登记的工单。请发送工单编号（例如20261127-000123）查询；如需反映新的问题，请选择“留言”。"

	// Media the bot cannot read.
	textMedia = "已收到您发送的内容，已为您保存。智能客服暂时只能理解文字，请用文字简要描述您的问题；如需人工处理，请回复“转人工”。"
	textVoice = "抱歉，暂时还不能识别语音消息，请用文字描述您的问题；如需人工处理，请回复“转人工”。"
)

// Option texts the citizen can tap. Tapping sends the text as a message.
const (
	optionLeaveMessage = "留言"
	optionCancel       = "取消"
	// optionHuman asks for a person (the nlu also reads 人工客服, 找真人…).
	optionHuman = "转人工"
	// optionCancelQueue leaves the queue for an agent.
	optionCancelQueue = "取消排队"
)

// topics are the common questions offered with the welcome and when nothing
// was found; each is answered by the knowledge base.
var topics = []string{"社保卡丢了怎么补办", "公积金怎么提取", "居住证怎么办理"}

// sourceLine tells the citizen which document an answer is based on.
func sourceLine(title, number string) string {
	if title == "" {
		return ""
	}
	s := "\n（依据：" + title
	if number != "" {
		s += "，" + number
	}
	return s + "）"
}

// Emergency replies: the number to call and what to do until help comes.
// The first line is the same for all, so the citizen sees it at once.
var emergencyAdvice = map[string]string{
	"119": "请立即拨打119火警电话！如闻到燃气味，请立即关闭燃气阀门、打开门窗通风，不要开关电器、不要使用明火或在室内打电话，迅速撤离到室外安全地带后再报警；如发生火情，请用湿毛巾捂住口鼻，弯腰沿安全通道撤离，不要乘坐电梯。",
	"120": "请立即拨打120急救电话！在等待救护车时，请保持电话畅通，不要随意搬动伤者，按急救调度员的指导进行处置。",
	"110": "请立即拨打110报警电话！请先确保自身和他人安全，远离危险，有人受伤时同时拨打120。",
	"122": "请立即拨打122交通事故报警电话，有人受伤时同时拨打120！请开启危险报警闪光灯，在来车方向设置警告标志，人员撤离到路边安全地带。",
}

const (
	textEmergencyLead = "【紧急提示】您描述的情况可能危及生命安全。"
	// textEmergencyAny is for an emergency without a recognised kind.
	textEmergencyAny  = "请立即拨打110（报警）、119（火警）或120（急救）！请先确保自身安全，远离危险。"
	textEmergencyTail = "12345热线不能代替紧急救援。您的情况已按紧急事项标记，如还需其他帮助，请继续留言。"
)
