package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

// workorderRun runs `hotline workorder …` and returns stdout and the error.
func workorderRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := workorderCommand(context.Background(), args, &out, &errOut)
	return out.String(), err
}

// seedWorkOrders creates, in a stopped server's data directory, an open
// complaint long overdue and a finished request for help with a long
// summary, and returns them.
func seedWorkOrders(t *testing.T, dir string) (overdue, finished workorder.WorkOrder) {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cst := time.FixedZone("CST", 8*60*60)
	clock := time.Date(2025, 11, 3, 10, 0, 0, 0, cst)
	svc, err := workorder.New(workorder.Config{Store: st, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	overdue, err = svc.Create(ctx, workorder.Draft{AppealType: workorder.Complaint, Summary: "小区门口夜间施工噪音扰民",
		Contact: workorder.Contact{Name: "张三", Phone: "13812345678"}})
	if err != nil {
		t.Fatal(err)
	}
	clock = time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
	finished, err = svc.Create(ctx, workorder.Draft{AppealType: workorder.Help,
		Summary: "社保卡丢失了不知道去哪里补办，身份证号110101199003071234，请尽快联系我，谢谢工作人员的帮助",
		Contact: workorder.Contact{Phone: "13900001111"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Dispatch(ctx, finished.Number, "social_security", "dispatcher", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, finished.Number, workorder.InProgress, "社保局", ""); err != nil {
		t.Fatal(err)
	}
	if finished, err = svc.Transition(ctx, finished.Number, workorder.Finished, "社保局", "已告知补办地点"); err != nil {
		t.Fatal(err)
	}
	return overdue, finished
}

func TestWorkorderCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	overdue, finished := seedWorkOrders(t, dir)
	store := []string{"--data", dir, "--kb", "../../kb-data"}
	secrets := []string{"13812345678", "13900001111", "110101199003071234", "张三"}
	masked := func(t *testing.T, what, out string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows %s in full:\n%s", what, s, out)
			}
		}
	}

	t.Run("list", func(t *testing.T) {
		out, err := workorderRun(t, append([]string{"list"}, store...)...)
		if err != nil {
			t.Fatal(err)
		}
		masked(t, "list", out)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "NUMBER") {
			t.Fatalf("list printed:\n%s", out)
		}
		// Newest first.
		for _, want := range []string{finished.Number, "已办结", "求助", "social_security", finished.Due.Format(time.DateOnly), "139****1111",
			"社保卡丢失了不知道去哪里补办，身份证号[号码]，请尽快联系…"} {
			if !strings.Contains(lines[1], want) {
				t.Errorf("line %q lacks %q", lines[1], want)
			}
		}
		if strings.Contains(lines[1], "OVERDUE") || strings.Contains(lines[1], "谢谢") {
			t.Errorf("finished order: %q: want not overdue and the summary cut", lines[1])
		}
		for _, want := range []string{overdue.Number, "已受理", "投诉", "OVERDUE", "138****5678", "小区门口夜间施工噪音扰民"} {
			if !strings.Contains(lines[2], want) {
				t.Errorf("line %q lacks %q", lines[2], want)
			}
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--status", "finished"}, finished.Number},
			{[]string{"--status", "accepted"}, overdue.Number},
			{[]string{"--department", "social_security"}, finished.Number},
			{[]string{"--department", "traffic"}, ""},
		} {
			var got struct{ Workorders []workorder.WorkOrder }
			out, err := workorderRun(t, append(append([]string{"list", "--json"}, tc.args...), store...)...)
			if err != nil {
				t.Fatalf("%v: %v", tc.args, err)
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.Workorders == nil {
				t.Fatalf("%v: %q is not a JSON list: %v", tc.args, out, err)
			}
			var numbers []string
			for _, o := range got.Workorders {
				numbers = append(numbers, o.Number)
			}
			if strings.Join(numbers, ",") != tc.want {
				t.Errorf("list %v: %v, want %s", tc.args, numbers, tc.want)
			}
			masked(t, "list --json", out)
		}
	})

	t.Run("show", func(t *testing.T) {
		out, err := workorderRun(t, append([]string{"show", overdue.Number}, store...)...)
		if err != nil {
			t.Fatal(err)
		}
		masked(t, "show", out)
		for _, want := range []string{overdue.Number, "已受理", "OVERDUE", "138****5678", "张*", "History:", "bot"} {
			if !strings.Contains(out, want) {
				t.Errorf("show lacks %q:\n%s", want, out)
			}
		}

		// The number after the flags, and as a citizen types it.
		compact := strings.ReplaceAll(finished.Number, "-", "")
		out, err = workorderRun(t, append(append([]string{"show", "--json"}, store...), compact)...)
		if err != nil {
			t.Fatal(err)
		}
		masked(t, "show --json", out)
		var o workorder.WorkOrder
		if err := json.Unmarshal([]byte(out), &o); err != nil || o.Number != finished.Number || o.Status != workorder.Finished ||
			o.Contact.Phone != "139****1111" || len(o.History) != 4 {
			t.Errorf("show --json: %+v, %v", o, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"show", "20200101-000999"}, "not found"},
			{[]string{"show", "12345"}, "want a work order number"},
			{[]string{"show"}, "want a work order number"},
			{[]string{"list", "--status", "closed"}, `--status "closed"`},
			{[]string{"list", "extra"}, "unexpected arguments"},
			{[]string{"delete"}, "unknown workorder command"},
		} {
			_, err := workorderRun(t, append(tc.args, store...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("workorder %v: %v, want an error with %q", tc.args, err, tc.want)
			}
		}
	})

	if _, err := workorderRun(t); err == nil || !strings.Contains(err.Error(), "want a subcommand") {
		t.Errorf("bare workorder: %v", err)
	}

	t.Run("locked", func(t *testing.T) {
		// A second Open in the process stands in for a running server.
		st, err := embedded.Open(embedded.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = workorderRun(t, append([]string{"list"}, store...)...)
		if !errors.Is(err, errWorkOrdersLocked) || !strings.Contains(err.Error(), "GET /api/v1/workorders") {
			t.Errorf("list while a server holds the store: %v", err)
		}
	})
}

// TestWorkorderDispatch: `hotline workorder` is a command of hotline.
func TestWorkorderDispatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedWorkOrders(t, dir)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"workorder", "list", "--data", dir, "--kb", "../../kb-data"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "138****5678") {
		t.Errorf("hotline workorder list printed:\n%s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "hotline workorder") {
		t.Errorf("hotline help does not list the workorder commands:\n%s", out.String())
	}
}
