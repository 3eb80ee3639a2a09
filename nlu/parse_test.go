package nlu

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestParser trains the shipped models from kb-data and checks what a
// citizen's messages come out as; a second parser on the same cache loads
// the models instead of training and understands the same.
func TestParser(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the models")
	}
	cache := t.TempDir()
	start := time.Now()
	p, err := NewParser(Config{KBDir: "../kb-data", Segmenter: testSegmenter(t), CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained in %v", time.Since(start))
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

	tests := []struct {
		text       string
		intent     Intent
		department string
		urgency    Urgency
		entity     string
		numbers    []string
	}{
		{"社保卡丢了怎么补办", IntentConsult, "social_security", UrgencyNone, "", nil},
		{"楼下饭店油烟太大熏得没法开窗，我要投诉", IntentComplaint, "environment", UrgencyNone, "", nil},
		{"厨房里一股煤气味，好像漏气了", "", "", UrgencyEmergency, "", []string{"119"}},
		{"转人工", IntentHuman, "", UrgencyNone, "", nil},
		{"我的工单20261127-000123处理到哪了", IntentTicketStatus, "", UrgencyNone, EntityTicketNo, nil},
		{"你好", IntentGreeting, "", UrgencyNone, "", nil},
		{"明天下午三点能去办居住证吗，电话13812345678", "", "household", UrgencyNone, EntityPhone, nil},
	}
	for _, tt := range tests {
		r := p.Parse(tt.text, now)
		if tt.intent != "" && r.Intent != tt.intent {
			t.Errorf("%s: intent %s (%.2f), want %s", tt.text, r.Intent, r.IntentConfidence, tt.intent)
		}
		if tt.department != "" && r.Department != tt.department {
			t.Errorf("%s: department %s (%.2f), want %s", tt.text, r.Department, r.DepartmentConfidence, tt.department)
		}
		if r.Urgency != tt.urgency {
			t.Errorf("%s: urgency %s %v, want %s", tt.text, r.Urgency, r.UrgencyTriggers, tt.urgency)
		}
		if !slices.Equal(r.EmergencyNumbers, tt.numbers) {
			t.Errorf("%s: numbers %v, want %v", tt.text, r.EmergencyNumbers, tt.numbers)
		}
		if tt.entity != "" && !slices.ContainsFunc(r.Entities, func(e Entity) bool { return e.Type == tt.entity }) {
			t.Errorf("%s: entities %+v lack a %s", tt.text, r.Entities, tt.entity)
		}
		if len(r.Tokens) == 0 || r.IntentConfidence <= 0 || r.IntentConfidence > 1 {
			t.Errorf("%s: tokens %v, intent confidence %v", tt.text, r.Tokens, r.IntentConfidence)
		}
	}

	models, _ := filepath.Glob(filepath.Join(cache, "*.model"))
	if len(models) != 3 {
		t.Fatalf("cache holds %d models, want 3", len(models))
	}
	stamp := map[string]time.Time{}
	for _, m := range models {
		fi, _ := os.Stat(m)
		stamp[m] = fi.ModTime()
	}
	again, err := NewParser(Config{KBDir: "../kb-data", Segmenter: testSegmenter(t), CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		if fi, _ := os.Stat(m); !fi.ModTime().Equal(stamp[m]) {
			t.Errorf("%s was rewritten: the cache was not used", filepath.Base(m))
		}
	}
	for _, tt := range tests {
		if a, b := p.Parse(tt.text, now), again.Parse(tt.text, now); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: cached model parses %+v, trained one %+v", tt.text, b, a)
		}
	}
}
