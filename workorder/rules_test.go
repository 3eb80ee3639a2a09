package workorder_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/workorder"
)

// TestShippedRules: the sample rules in kb-data load and say what their
// comments say.
func TestShippedRules(t *testing.T) {
	r, err := workorder.LoadRules("../kb-data/workorder/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Limits[workorder.Complaint] != 5 || r.Limits[workorder.Consult] != 1 || r.Limits[workorder.Suggestion] != 10 {
		t.Errorf("limits = %v", r.Limits)
	}
	if r.DuplicateWindow != 7*24*time.Hour || r.Similarity != 0.25 || r.HotWindow != 24*time.Hour || r.HotMinOrders != 5 {
		t.Errorf("rules = %+v", r)
	}
}

func TestRulesDefaultsAndPartialFiles(t *testing.T) {
	r, err := workorder.LoadRules(t.TempDir() + "/missing.yaml")
	if err != nil || r.HotMinOrders != workorder.DefaultHotMinOrders || r.Limits[workorder.Help] != 3 {
		t.Fatalf("missing file → %+v, %v; want the defaults", r, err)
	}
	r, err = workorder.ParseRules("rules.yaml", []byte("limits:\n  help: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Limits[workorder.Help] != 2 || r.Limits[workorder.Complaint] != 5 {
		t.Errorf("one changed limit → %v; want it changed and the others default", r.Limits)
	}
}

func TestBadRules(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"limits:\n  complain: 5\n", "limits.complain: not an appeal type"},
		{"limits:\n  complaint: 0\n", "limits.complaint: 0 working days"},
		{"duplicate_window: a week\n", "duplicate_window:"},
		{"similarity: 1.5\n", "similarity: 1.5"},
		{"hot_issue:\n  min_orders: 1\n", "hot_issue.min_orders: 1"},
		{"hot_issue:\n  window: -1h\n", "hot_issue.window"},
		{"hot_isue:\n  window: 1h\n", "hot_isue"},
		{"limits: [1, 2]\n", "rules.yaml"},
	} {
		_, err := workorder.ParseRules("rules.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "rules.yaml") {
			t.Errorf("%q → %v, want an error naming the file and %q", tt.yaml, err, tt.want)
		}
	}
}
