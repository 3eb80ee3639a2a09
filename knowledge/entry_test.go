package knowledge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKB writes files (name → content) into dir/kb and returns dir.
func writeKB(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "kb"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, content := range files {
		path := filepath.Join(dir, "kb", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

const goodEntry = `  - id: social_security-card-lost
    question: 社保卡丢了怎么挂失和补办？
    similar: [社保卡丢了怎么办, 社保卡不见了怎么办]
    answer: |
      先挂失，再补办。
    department: social_security
    tags: [社保卡]
    source: {title: 本市社会保障卡服务管理办法, number: 本人社规〔2024〕3号, url: https://www.example.gov.cn/a.html}
    effective_from: 2024-03-01
    expires: 2027-12-31
`

func TestLoadDirValid(t *testing.T) {
	t.Parallel()
	dir := writeKB(t, map[string]string{
		"a.yaml": "# header\nentries:\n" + goodEntry,
		"sub/b.yml": `entries:
  - id: housing_fund-balance
    question: " 公积金余额怎么查 "
    similar: [公积金余额在哪看, 怎么查公积金]
    answer: 登录App查询。
    department: housing_fund
    source: {title: 公积金办事指南}
`,
		"notes.txt": "not yaml, ignored",
	})
	entries, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if len(entries) != 2 {
		t.Fatalf("got %d entries, want 2", len(entries))
	}
	e := entries[0]
	if e.ID != "social_security-card-lost" || e.Answer != "先挂失，再补办。" || e.Source.Number != "本人社规〔2024〕3号" ||
		e.Expires != "2027-12-31" || e.Line != 3 || e.File != filepath.Join(dir, "kb", "a.yaml") {
		t.Errorf("entry 0 = %+v", e)
	}
	if q := entries[1].Question; q != "公积金余额怎么查" {
		t.Errorf("question not trimmed: %q", q)
	}
}

func TestLoadDirProblems(t *testing.T) {
	t.Parallel()
	// Each case is one file a.yaml (plus maybe b.yaml); want lists the
	// "file:line: message" fragments the error must contain, with the file
	// given as its base name.
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "syntax error",
			files: map[string]string{"a.yaml": "entries:\n  - id: [\n"},
			want:  []string{"a.yaml:2: did not find expected node content"},
		},
		{
			name:  "wrong type",
			files: map[string]string{"a.yaml": "entries:\n  - id: x\n    similar: just one\n"},
			want:  []string{"a.yaml:3: cannot unmarshal"},
		},
		{
			name:  "no entries",
			files: map[string]string{"a.yaml": "# only a comment\n"},
			want:  []string{"a.yaml:1: empty file"},
		},
		{
			name:  "unknown keys",
			files: map[string]string{"a.yaml": "entry:\n  - id: x\n"},
			want:  []string{`a.yaml:1: unknown key "entry"`, "a.yaml:1: no entries list"},
		},
		{
			name: "missing fields",
			files: map[string]string{"a.yaml": `entries:
  - id: a-1
    question: 问题
    similar: [说法一]
    source: {number: x}
`},
			want: []string{
				"a.yaml:4: a-1: similar: want at least 2 phrasings, got 1",
				"a.yaml:2: a-1: answer is required",
				"a.yaml:2: a-1: department is required",
				"a.yaml:5: a-1: source.title is required",
			},
		},
		{
			name: "bad formats",
			files: map[string]string{"a.yaml": `entries:
  - id: Social-Card
    question: 问题
    similiar: [说法一, 说法二]
    similar: [说法一, 说法二]
    answer: 答案
    department: 社保
    source: {title: 办法, url: "ftp://x"}
    effective_from: 2024-3-1
    expires: 2024-02-30
    updated: 2026-10-15
`},
			want: []string{
				`a.yaml:2: Social-Card: id "Social-Card": want lowercase`,
				`a.yaml:4: unknown key "similiar"`,
				`a.yaml:7: Social-Card: department "社保": want a department code`,
				`a.yaml:8: Social-Card: source.url "ftp://x"`,
				`a.yaml:9: Social-Card: effective_from "2024-3-1": want YYYY-MM-DD`,
				`a.yaml:10: Social-Card: expires "2024-02-30": want YYYY-MM-DD`,
			},
		},
		{
			name: "expires before effective",
			files: map[string]string{"a.yaml": strings.Replace("entries:\n"+goodEntry,
				"expires: 2027-12-31", "expires: 2023-12-31", 1)},
			want: []string{"a.yaml:11: social_security-card-lost: expires 2023-12-31 is before effective_from 2024-03-01"},
		},
		{
			name: "duplicate id and question across files",
			files: map[string]string{
				"a.yaml": "entries:\n" + goodEntry,
				"b.yaml": "entries:\n" + strings.Replace(goodEntry, "question: 社保卡丢了怎么挂失和补办？", "question: \"  社保卡丢了怎么挂失和补办？\"", 1),
			},
			want: []string{
				`b.yaml:2: duplicate id "social_security-card-lost" (first at `,
				`b.yaml:2: social_security-card-lost: duplicate question "社保卡丢了怎么挂失和补办？"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeKB(t, tt.files)
			entries, err := LoadDir(dir)
			if err == nil {
				t.Fatalf("LoadDir: no error, %d entries", len(entries))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Errorf("errors.As(err, *Problem) = false")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, filepath.Join(dir, "kb")+string(filepath.Separator)+w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestLoadDirNoFiles(t *testing.T) {
	t.Parallel()
	if _, err := LoadDir(writeKB(t, nil)); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty kb: err = %v, want ErrInvalid", err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("missing kb dir: err = %v, want a file-system error", err)
	}
}

func TestLoadDirRealKB(t *testing.T) {
	t.Parallel()
	entries := realEntries(t)
	if len(entries) == 0 {
		t.Fatal("no entries in kb-data")
	}
}

// FuzzParseFile checks that no input makes the loader panic and that every
// problem points at a line of the file.
func FuzzParseFile(f *testing.F) {
	f.Add("entries:\n" + goodEntry)
	f.Add("entries:\n  - id: [\n")
	f.Add("entries: 3\n")
	f.Add("- a\n- b\n")
	f.Add("entries:\n  - {id: a, question: q, similar: [x, y], answer: a, department: d, source: {title: t}, expires: 2024-13-01}\n")
	f.Fuzz(func(t *testing.T, data string) {
		entries, problems := parseFile("f.yaml", []byte(data))
		// YAML breaks lines at \n, \r and the Unicode line separators.
		lines := 1
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += strings.Count(data, br)
		}
		for _, err := range problems {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("problem %v is not a *Problem", err)
			}
			if p.File != "f.yaml" || p.Line < 1 || p.Line > lines+1 {
				t.Fatalf("problem %v: line outside the file (%d lines)", p, lines)
			}
		}
		for _, e := range entries {
			if e.ID == "" || e.Question == "" || len(e.Similar) < MinSimilar {
				t.Fatalf("entry passed without required fields: %+v", e)
			}
		}
	})
}
