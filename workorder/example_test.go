package workorder_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

// A complaint from the chat, through dispatch, the department's reply and
// the follow-up, with what the citizen and a dashboard see.
func Example() {
	dir, _ := os.MkdirTemp("", "workorder-example")
	defer os.RemoveAll(dir)
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*60*60)) // a Friday
	svc, err := workorder.New(workorder.Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	o, err := svc.Create(ctx, workorder.Draft{
		Conversation: "conv-1",
		Channel:      "wechat",
		AppealType:   workorder.Complaint,
		Suggested:    workorder.Suggested{Department: "城管局", Confidence: 0.82},
		Summary:      "小区东门工地每天夜里施工，噪音很大，影响休息",
		Address:      "幸福路12号",
		Contact:      workorder.Contact{Phone: "138 1234 5678"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("工单号 %s，%s，将于 %s 前答复\n", o.Number, o.Status.Label(), o.Due.Format("1月2日"))

	_, err = svc.Transition(ctx, o.Number, workorder.Finished, "城管局", "已处理")
	var te *workorder.TransitionError
	if errors.As(err, &te) {
		fmt.Printf("%s的工单不能直接%s\n", te.From.Label(), te.To.Label())
	}

	svc.Dispatch(ctx, o.Number, "", "dispatcher", "")
	svc.Transition(ctx, o.Number, workorder.InProgress, "城管局", "")
	svc.Transition(ctx, o.Number, workorder.Finished, "城管局", "已责令工地停止夜间施工")
	o, _ = svc.Visit(ctx, o.Number, workorder.RatingSatisfied, "agent1", "")
	fmt.Println(o.Department, o.Status.Label(), o.Rating.Label(), o.Masked().Contact.Phone)
	// Output:
	// 工单号 20261127-000001，已受理，将于 12月4日 前答复
	// 已受理的工单不能直接已办结
	// 城管局 已回访 满意 138****5678
}
