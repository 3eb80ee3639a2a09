package knowledge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynonymsRewrite(t *testing.T) {
	t.Parallel()
	s, err := NewSynonyms([][]string{
		{"社保", "社会保险"},
		{"看病", "就医"},
		{"异地就医", "跨省就医", "异地看病"},
		{"驾驶证", "驾照", "机动车驾驶证"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"社会保险怎么交", "社保怎么交"},
		{"社保卡", "社保卡"},
		{"机动车驾驶证到期", "驾驶证到期"}, // longest first
		{"驾照丢了，驾照补办", "驾驶证丢了，驾驶证补办"},
		{"跨省就医备案", "异地就医备案"},
		{"异地就医备案", "异地就医备案"}, // the canonical term is kept whole
		{"就医", "看病"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := s.Rewrite(tt.in); got != tt.want {
			t.Errorf("Rewrite(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var none *Synonyms
	if none.Rewrite("社会保险") != "社会保险" || none.Version() != "" {
		t.Error("nil Synonyms rewrites")
	}
	if s.Version() == "" || len(s.Groups()) != 4 {
		t.Errorf("Version %q, Groups %v", s.Version(), s.Groups())
	}
}

func TestLoadSynonyms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		want          []string // fragments "file:line: message"
	}{
		{"good", "# header\nsynonyms:\n  - [社保, 社会保险]\n  - [公积金, 住房公积金]\n", nil},
		{"syntax", "synonyms:\n  - [社保\n", []string{"s.yaml:1: did not find expected"}},
		{"not a list", "synonyms: 社保\n", []string{"s.yaml:1: synonyms: want a list of groups"}},
		{"unknown key", "synonym:\n  - [社保, 社会保险]\n", []string{`s.yaml:1: unknown key "synonym"`, "s.yaml:1: no synonyms list"}},
		{"bad groups", `synonyms:
  - [社保]
  - 社保
  - [社保, 社会保险]
  - [医保, 社会保险]
  - [户口, 户籍, 户口]
  - [驾照, 驾驶 证]
  - [个税, 税]
  - [怎么办, 如何办]
`, []string{
			"s.yaml:2: synonym group: want at least two terms",
			"s.yaml:3: synonym group: want a list",
			`s.yaml:5: synonym "社会保险" is already in another group (line 4)`,
			`s.yaml:6: synonym "户口" twice in one group`,
			`s.yaml:7: synonym "驾驶 证": want letters and digits only`,
			`s.yaml:8: synonym "税": want at least two characters`,
			`s.yaml:9: synonym "怎么办": is a filler word`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadSynonyms(path)
			if tt.want == nil {
				if err != nil || s.Rewrite("住房公积金") != "公积金" {
					t.Fatalf("LoadSynonyms: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), filepath.Join(filepath.Dir(path), w)) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := LoadSynonyms(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadSynonymsRealKB(t *testing.T) {
	t.Parallel()
	if realSynonyms(t) == nil {
		t.Skip("no kb-data/synonyms.yaml")
	}
}

// TestSearchSynonyms: synonyms apply to index and query alike, in every
// field and in confidence.
func TestSearchSynonyms(t *testing.T) {
	t.Parallel()
	syn, err := NewSynonyms([][]string{{"驾驶证", "驾照"}, {"社保", "社会保险"}, {"公积金", "住房公积金"}})
	if err != nil {
		t.Fatal(err)
	}
	with := openTest(t, fixtureEntries(), Config{Synonyms: syn})
	without := openTest(t, fixtureEntries(), Config{})
	ctx := context.Background()
	for _, tt := range []struct{ query, want string }{
		{"驾照遗失补领", "traffic-license-reissue"},
		{"住房公积金余额查询", "housing_fund-balance"},
	} {
		a, _ := with.Search(ctx, tt.query, SearchOptions{})
		b, _ := without.Search(ctx, tt.query, SearchOptions{})
		if len(a.Hits) == 0 || a.Hits[0].Entry.ID != tt.want {
			t.Errorf("%q with synonyms: %v", tt.query, hitIDs(a))
			continue
		}
		if len(b.Hits) > 0 && b.Hits[0].Entry.ID == tt.want && b.Hits[0].Confidence >= a.Hits[0].Confidence {
			t.Errorf("%q: synonyms did not raise confidence (%.2f with, %.2f without)", tt.query, a.Hits[0].Confidence, b.Hits[0].Confidence)
		}
	}
}
