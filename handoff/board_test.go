package handoff

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

var rules = Rules{AcceptTimeout: 15 * time.Second, Grace: 60 * time.Second, Stale: 45 * time.Second}

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func agent(name string, max int, skills ...string) Presence {
	return Presence{Username: name, Name: name, Role: "agent", MaxChats: max, Skills: skills}
}

func enqueue(t *testing.T, b *Board, conv string, p Priority, skill string, now time.Time) {
	t.Helper()
	if _, err := b.Enqueue(Entry{Conversation: conv, Channel: "web", Priority: p, Skill: skill, Reason: "human"}, now); err != nil {
		t.Fatalf("Enqueue(%s): %v", conv, err)
	}
}

// offeredTo returns who conv is offered to ("" if nobody).
func offeredTo(b *Board, conv string) string {
	if e, ok := b.Entry(conv); ok && e.Offer != nil {
		return e.Offer.Agent
	}
	return ""
}

func types(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

func TestQueueOrderPriorityThenWaitingTime(t *testing.T) {
	b := NewBoard()
	enqueue(t, b, "normal-early", PriorityNormal, "", at(0))
	enqueue(t, b, "urgent", PriorityUrgent, "", at(5))
	enqueue(t, b, "normal-late", PriorityNormal, "", at(6))
	enqueue(t, b, "emergency", PriorityEmergency, "", at(10))
	var got []string
	for _, e := range b.Ordered() {
		got = append(got, e.Conversation)
	}
	want := []string{"emergency", "urgent", "normal-early", "normal-late"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if pos, _ := b.Position("normal-late"); pos != 4 {
		t.Errorf("Position(normal-late) = %d, want 4", pos)
	}
	if _, err := b.Enqueue(Entry{Conversation: "urgent"}, at(11)); !errors.Is(err, ErrBusy) {
		t.Errorf("second Enqueue error = %v, want ErrBusy", err)
	}
}

func TestOfferGoesToHighestPriorityFirst(t *testing.T) {
	b := NewBoard()
	enqueue(t, b, "normal", PriorityNormal, "", at(0))
	enqueue(t, b, "emergency", PriorityEmergency, "", at(30))
	b.Connect(agent("li", 1), at(31))
	ev := b.Tick(at(31), rules)
	if got := offeredTo(b, "emergency"); got != "li" {
		t.Fatalf("emergency offered to %q, want li (events %v)", got, types(ev))
	}
	if got := offeredTo(b, "normal"); got != "" {
		t.Errorf("normal offered to %q while li's phone rings, want nobody", got)
	}
}

func TestOfferPrefersSkillThenFewestChats(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("generalist", 3), at(0))
	b.Connect(agent("housing1", 3, "housing"), at(0))
	b.Connect(agent("housing2", 3, "housing", "utilities"), at(0))
	b.Chats["busy"] = &Chat{Conversation: "busy", Agent: "housing1", Since: at(0)}

	enqueue(t, b, "h", PriorityNormal, "housing", at(1))
	b.Tick(at(1), rules)
	if got := offeredTo(b, "h"); got != "housing2" {
		t.Errorf("housing chat offered to %q, want housing2 (has the skill, fewest chats)", got)
	}
	// Nobody online knows taxes: anyone may take it rather than wait forever.
	enqueue(t, b, "tax", PriorityNormal, "tax", at(2))
	b.Tick(at(2), rules)
	if got := offeredTo(b, "tax"); got != "generalist" {
		t.Errorf("tax chat offered to %q, want generalist (fewest chats, not ringing)", got)
	}
}

func TestSkilledAgentBusyMeansWait(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("housing1", 1, "housing"), at(0))
	b.Connect(agent("other", 3), at(0))
	b.Chats["busy"] = &Chat{Conversation: "busy", Agent: "housing1", Since: at(0)}
	enqueue(t, b, "h", PriorityNormal, "housing", at(1))
	b.Tick(at(1), rules)
	if got := offeredTo(b, "h"); got != "" {
		t.Errorf("housing chat offered to %q while the housing agent is online but full, want it to wait", got)
	}
}

func TestCapacityRespectedExceptEmergencies(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 1), at(0))
	b.Chats["c0"] = &Chat{Conversation: "c0", Agent: "li", Since: at(0)}
	enqueue(t, b, "normal", PriorityNormal, "", at(1))
	b.Tick(at(1), rules)
	if got := offeredTo(b, "normal"); got != "" {
		t.Errorf("normal chat offered to %q at capacity", got)
	}
	enqueue(t, b, "fire", PriorityEmergency, "", at(2))
	b.Tick(at(2), rules)
	if got := offeredTo(b, "fire"); got != "li" {
		t.Errorf("emergency offered to %q, want li even at capacity", got)
	}
}

func TestAcceptTimeoutGoesToNextAgentAndIsRecorded(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("a", 3), at(0))
	b.Connect(agent("b", 3), at(0))
	enqueue(t, b, "c", PriorityNormal, "", at(0))
	b.Tick(at(0), rules)
	first := offeredTo(b, "c")
	if first == "" {
		t.Fatal("not offered")
	}
	if ev := b.Tick(at(14), rules); len(ev) != 0 {
		t.Errorf("events before the timeout: %v", types(ev))
	}
	ev := b.Tick(at(15), rules)
	if !slices.Equal(types(ev), []string{EventMissed, EventOffered}) {
		t.Fatalf("events at timeout = %v, want missed then offered", types(ev))
	}
	if ev[0].Agent != first {
		t.Errorf("missed by %q, want %q", ev[0].Agent, first)
	}
	second := offeredTo(b, "c")
	if second == "" || second == first {
		t.Errorf("re-offered to %q, want the other agent than %q", second, first)
	}
	// Both missed it: it rings again rather than waiting forever.
	b.Tick(at(30), rules)
	if got := offeredTo(b, "c"); got == "" {
		t.Error("after everyone missed it, not offered again")
	}
	if _, err := b.Accept(second, "c", at(31)); !errors.Is(err, ErrNotOffered) && offeredTo(b, "c") != second {
		t.Errorf("Accept by someone it no longer rings for: %v", err)
	}
}

func TestAcceptCreatesChat(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	enqueue(t, b, "c", PriorityUrgent, "housing", at(0))
	b.Tick(at(3), rules)
	if _, err := b.Accept("wang", "c", at(4)); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("Accept by an agent who is not there: %v", err)
	}
	ev, err := b.Accept("li", "c", at(7))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 1 || ev[0].Type != EventAccepted || ev[0].Wait != 7 {
		t.Errorf("accept events = %+v, want accepted with wait 7 s", ev)
	}
	if !b.Holds("li", "c") {
		t.Error("li does not hold c")
	}
	if _, ok := b.Entry("c"); ok {
		t.Error("c still queued")
	}
	if _, err := b.Accept("li", "c", at(8)); !errors.Is(err, ErrNotOffered) {
		t.Errorf("second Accept error = %v, want ErrNotOffered", err)
	}
}

func TestAgentMayNotPickButSupervisorMay(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	sup := agent("boss", 3)
	sup.Role = "supervisor"
	b.Connect(sup, at(0))
	b.SetStatus("li", StatusAway, at(0))
	b.SetStatus("boss", StatusAway, at(0))
	enqueue(t, b, "c", PriorityNormal, "", at(1))
	b.Tick(at(1), rules)
	if _, err := b.Accept("li", "c", at(2)); !errors.Is(err, ErrNotOffered) {
		t.Errorf("agent pick error = %v, want ErrNotOffered", err)
	}
	if _, err := b.Accept("boss", "c", at(2)); err != nil {
		t.Errorf("supervisor pick: %v", err)
	}
}

func TestAwayAgentsGetNoOffers(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	enqueue(t, b, "c", PriorityNormal, "", at(0))
	b.Tick(at(0), rules)
	ev, _ := b.SetStatus("li", StatusAway, at(1))
	if !slices.Equal(types(ev), []string{EventStatus, EventDeclined}) {
		t.Errorf("going away with an offer ringing: events %v, want status then declined", types(ev))
	}
	b.Tick(at(2), rules)
	if got := offeredTo(b, "c"); got != "" {
		t.Errorf("offered to %q while away", got)
	}
	if _, err := b.SetStatus("li", "lunch", at(3)); !errors.Is(err, ErrBadStatus) {
		t.Errorf("bad status error = %v", err)
	}
}

func TestGracePeriodThenChatsReturnToFront(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	b.Connect(agent("wang", 3), at(0))
	enqueue(t, b, "old", PriorityNormal, "", at(0))
	b.Tick(at(0), rules)
	holder := offeredTo(b, "old")
	if _, err := b.Accept(holder, "old", at(1)); err != nil {
		t.Fatal(err)
	}
	other := "wang"
	if holder == "wang" {
		other = "li"
	}
	b.SetStatus(other, StatusAway, at(1))
	enqueue(t, b, "waiting", PriorityNormal, "", at(2))

	b.Disconnect(holder, at(10))
	if ev := b.Tick(at(69), rules); slices.Contains(types(ev), EventReturned) {
		t.Fatalf("chat returned within the grace period: %v", types(ev))
	}
	// Reconnecting within the grace period keeps everything.
	b.Connect(agent(holder, 3), at(69))
	if !b.Holds(holder, "old") {
		t.Fatal("chat lost on reconnect within grace")
	}
	b.Disconnect(holder, at(80))
	ev := b.Tick(at(140), rules)
	if !slices.Contains(types(ev), EventReturned) {
		t.Fatalf("after the grace period events = %v, want returned", types(ev))
	}
	if b.Holds(holder, "old") {
		t.Error("chat still held after grace")
	}
	if got := b.Ordered()[0].Conversation; got != "old" {
		t.Errorf("front of queue = %q, want the returned chat", got)
	}
	if _, ok := b.Agents[holder]; ok {
		t.Error("gone agent still on the board")
	}
}

func TestStaleHeartbeatCountsAsDropped(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	b.Chats["c"] = &Chat{Conversation: "c", Agent: "li", Since: at(0), Queued: at(0)}
	b.Heartbeat("li", at(30))
	if ev := b.Tick(at(70), rules); slices.Contains(types(ev), EventReturned) {
		t.Fatal("returned before stale + grace")
	}
	// Last sign of life at 30 s: dropped then, returned at 90 s.
	if ev := b.Tick(at(91), rules); !slices.Contains(types(ev), EventReturned) {
		t.Errorf("events = %v, want returned (instance died)", types(ev))
	}
}

func TestTransferToAgentAndSkill(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	b.Connect(agent("wang", 3, "tax"), at(0))
	b.Connect(agent("zhao", 3), at(0))
	b.Chats["c"] = &Chat{Conversation: "c", Agent: "li", Since: at(0), Queued: at(0), Priority: PriorityUrgent}
	if _, err := b.Transfer("zhao", "c", "wang", "", "", at(1)); !errors.Is(err, ErrNotYours) {
		t.Errorf("transfer by a non-holder error = %v", err)
	}
	if _, err := b.Transfer("li", "c", "nobody", "", "", at(1)); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("transfer to unknown agent error = %v", err)
	}
	ev, err := b.Transfer("li", "c", "zhao", "", "已核实身份", at(2))
	if err != nil || ev[0].Type != EventTransferred {
		t.Fatalf("Transfer = %v, %v", ev, err)
	}
	b.Tick(at(2), rules)
	if got := offeredTo(b, "c"); got != "zhao" {
		t.Errorf("transfer to zhao offered to %q", got)
	}
	e, _ := b.Entry("c")
	if e.Note != "已核实身份" || e.From != "li" || !e.Front || e.Priority != PriorityUrgent {
		t.Errorf("transferred entry = %+v", e)
	}
	b.Accept("zhao", "c", at(3))
	b.Transfer("zhao", "c", "", "tax", "", at(4))
	b.Tick(at(4), rules)
	if got := offeredTo(b, "c"); got != "wang" {
		t.Errorf("transfer to tax offered to %q, want wang", got)
	}
}

func TestCloseAndSupervisorActions(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	sup := agent("boss", 3)
	sup.Role = "supervisor"
	b.Connect(sup, at(0))
	b.Chats["c"] = &Chat{Conversation: "c", Agent: "li", Since: at(0), Queued: at(0)}
	if _, err := b.Join("li", "c", at(1)); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent join error = %v", err)
	}
	if _, err := b.Join("boss", "c", at(1)); err != nil || !b.Holds("boss", "c") {
		t.Errorf("supervisor join: %v", err)
	}
	if _, err := b.Takeover("boss", "c", at(2)); err != nil || b.Chats["c"].Agent != "boss" {
		t.Errorf("takeover: %v", err)
	}
	if _, err := b.Close("li", "c", Wrapup{}, at(3)); !errors.Is(err, ErrNotYours) {
		t.Errorf("close by former holder error = %v", err)
	}
	ev, err := b.Close("boss", "c", Wrapup{AppealType: "consult", Department: "housing", Summary: "已答复", Resolved: true}, at(63))
	if err != nil || ev[0].Type != EventClosed || ev[0].Duration != 63 || ev[0].Wrapup.Summary != "已答复" {
		t.Fatalf("Close = %+v, %v", ev, err)
	}
	if len(b.Chats) != 0 {
		t.Error("chat still there after close")
	}
}

func TestEstimatedWait(t *testing.T) {
	b := NewBoard()
	if w := b.EstimatedWait(1); w != 0 {
		t.Errorf("no agents: wait %v, want 0 (unknown)", w)
	}
	b.Connect(agent("li", 2), at(0))
	b.AvgHandle = 120
	if w := b.EstimatedWait(1); w != 2*time.Minute {
		t.Errorf("position 1 of 2 slots: %v, want 2m", w)
	}
	if w := b.EstimatedWait(3); w != 4*time.Minute {
		t.Errorf("position 3 of 2 slots: %v, want 4m", w)
	}
}

func TestCancelWithdrawsOffer(t *testing.T) {
	b := NewBoard()
	b.Connect(agent("li", 3), at(0))
	enqueue(t, b, "c", PriorityNormal, "", at(0))
	b.Tick(at(0), rules)
	ev, err := b.Cancel("c", at(5))
	if err != nil || ev[0].Type != EventCancelled || ev[0].Agent != "li" {
		t.Fatalf("Cancel = %+v, %v", ev, err)
	}
	if _, err := b.Cancel("c", at(6)); !errors.Is(err, ErrNotQueued) {
		t.Errorf("second Cancel error = %v", err)
	}
}
