package knowledge

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lintEntry is a valid entry of department dept as YAML.
func lintEntry(id, dept, question, similar, extra string) string {
	return fmt.Sprintf(`  - id: %s
    question: %s
    similar: [%s, %s的问题]
    answer: 答案。
    department: %s
    source: {title: 办法}
%s`, id, question, similar, question, dept, extra)
}

func TestLint(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	depts := "departments:\n  - {code: social_security, name: 社保, agency: 人社局, description: 社保}\n  - {code: other, name: 其他, agency: 热线, description: 其他}\n"
	good := map[string]string{
		"kb/social_security.yaml": "entries:\n" + lintEntry("ss-a", "social_security", "社保卡丢了怎么办？", "社保卡掉了", ""),
		"kb/hotline.yaml":         "entries:\n" + lintEntry("other-a", "other", "12345几点上班？", "热线服务时间", "    expires: 2026-11-01\n"),
		"departments.yaml":        depts,
		"synonyms.yaml":           "synonyms:\n  - [社保, 社会保险]\n",
		"eval/p.tsv":              "query\texpected_id\n社保卡不见了\tss-a\n明天下雨吗\tnone\n",
	}
	tests := []struct {
		name     string
		change   map[string]string
		opt      LintOptions
		problems []string // "file:line: fragment"
		warnings []string
	}{
		{name: "good"},
		{
			name:     "expired",
			change:   map[string]string{"kb/hotline.yaml": "entries:\n" + lintEntry("other-a", "other", "12345几点上班？", "热线服务时间", "    expires: 2026-10-31\n")},
			problems: []string{"kb/hotline.yaml:2: other-a: expired on 2026-10-31"},
		},
		{
			name:     "expired allowed",
			change:   map[string]string{"kb/hotline.yaml": "entries:\n" + lintEntry("other-a", "other", "12345几点上班？", "热线服务时间", "    expires: 2026-10-31\n")},
			opt:      LintOptions{AllowExpired: true},
			warnings: []string{"kb/hotline.yaml:2: other-a: expired on 2026-10-31"},
		},
		{
			name:     "updated in the future",
			change:   map[string]string{"kb/hotline.yaml": "entries:\n" + lintEntry("other-a", "other", "12345几点上班？", "热线服务时间", "    updated: 2026-11-02\n")},
			problems: []string{"kb/hotline.yaml:2: other-a: updated 2026-11-02 is in the future"},
		},
		{
			name: "loader problems and repeated phrasings",
			change: map[string]string{"kb/social_security.yaml": "entries:\n" +
				lintEntry("ss-a", "social_security", "社保卡丢了怎么办？", "社保卡掉了", "") +
				lintEntry("ss-b", "social_security", "社保卡怎么激活？", "社保卡掉了！", "") +
				lintEntry("ss-c", "social_security", "社保卡丢了怎么办？", "社保卡坏了", "")},
			problems: []string{
				"kb/social_security.yaml:8: ss-b: phrasing \"社保卡掉了！\" is also a phrasing of ss-a",
				"kb/social_security.yaml:14: ss-c: duplicate question",
			},
		},
		{
			name:     "unknown department, wrong file",
			change:   map[string]string{"kb/social_security.yaml": "entries:\n" + lintEntry("ss-a", "traffic", "社保卡丢了怎么办？", "社保卡掉了", "")},
			problems: []string{`kb/social_security.yaml:2: ss-a: department "traffic" is not in`},
			warnings: []string{"kb/social_security.yaml:2: ss-a: department traffic belongs in kb/traffic.yaml"},
		},
		{
			name:     "bad departments.yaml",
			change:   map[string]string{"departments.yaml": depts + "  - {code: social_security, name: x, agency: y, description: z}\n  - {code: Bad, name: x}\n"},
			problems: []string{`departments.yaml:4: duplicate department code "social_security"`, `departments.yaml:5: department "Bad": agency, description required`},
		},
		{
			name:     "bad synonyms",
			change:   map[string]string{"synonyms.yaml": "synonyms:\n  - [社保]\n"},
			problems: []string{"synonyms.yaml:2: synonym group: want at least two terms"},
		},
		{
			name:     "eval files",
			change:   map[string]string{"eval/p.tsv": "query\texpected_id\n社保卡不见了\tss-x\n社保卡掉了\tss-a\nno tab\n"},
			problems: []string{`eval/p.tsv:2: expected id "ss-x" is not in the knowledge base`, "eval/p.tsv:4: want query<TAB>expected_id"},
			warnings: []string{`eval/p.tsv:3: query "社保卡掉了" is a phrasing of ss-a`},
		},
		{
			name:     "eval query nearly a phrasing",
			change:   map[string]string{"eval/p.tsv": "query\texpected_id\n社保卡丢了要怎么办\tss-a\n社保卡不见了\tss-a\n"},
			warnings: []string{`eval/p.tsv:2: query "社保卡丢了要怎么办" is nearly the phrasing "社保卡丢了怎么办？" of ss-a (`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			for k, v := range tt.change {
				files[k] = v
			}
			for name, content := range files {
				path := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opt := tt.opt
			opt.Now = now
			r, err := Lint(dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			check := func(kind string, got []error, want []string) {
				var lines []string
				for _, e := range got {
					lines = append(lines, e.Error())
				}
				text := strings.Join(lines, "\n")
				for _, w := range want {
					if !strings.Contains(text, filepath.Join(dir, w)) {
						t.Errorf("%s lack %q:\n%s", kind, w, text)
					}
				}
				if len(want) == 0 && len(got) > 0 {
					t.Errorf("unexpected %s:\n%s", kind, text)
				}
			}
			check("problems", r.Problems, tt.problems)
			check("warnings", r.Warnings, tt.warnings)
			if tt.name == "good" && (r.Entries != 2 || r.Departments != 2 || r.Files != 2) {
				t.Errorf("report = %+v", r)
			}
		})
	}
	if _, err := Lint(t.TempDir(), LintOptions{}); err == nil {
		t.Error("no kb directory: no error")
	}
}

func TestLintRealKB(t *testing.T) {
	t.Parallel()
	realEntries(t)
	r, err := Lint(kbData, LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	for _, w := range r.Warnings {
		t.Log("warning:", w)
	}
}
