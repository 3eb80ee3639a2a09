package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hotline12345/hotline/nlu"
)

var (
	kbSegOnce sync.Once
	kbSeg     *nlu.Segmenter
	kbSegErr  error
)

// sharedSegmenter loads the gse segmenter once for all kb tests (it takes
// seconds), whatever dictionary a command asks for.
func sharedSegmenter(string) (*nlu.Segmenter, error) {
	kbSegOnce.Do(func() { kbSeg, kbSegErr = nlu.NewSegmenter("../../kb-data/dict.txt") })
	return kbSeg, kbSegErr
}

// runKB runs hotline kb args with stdin and returns stdout, stderr and the
// error.
func runKB(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := kbRun(context.Background(), args, strings.NewReader(stdin), &out, &errOut, sharedSegmenter)
	return out.String(), errOut.String(), err
}

// kbEntry is one valid entry in YAML.
func kbEntry(id, dept, question string, similar ...string) string {
	return "  - id: " + id + "\n    question: " + question + "\n    similar: [" + strings.Join(similar, ", ") + "]\n" +
		"    answer: 关于" + question + "的答复。\n    department: " + dept + "\n    tags: [" + similar[0] + "]\n    source: {title: 示例办法}\n"
}

// writeKBDir writes a small kb-data directory; files maps relative paths to
// contents and overrides the defaults.
func writeKBDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"kb/social_security.yaml": "entries:\n" +
			kbEntry("social_security-card-lost", "social_security", "社保卡丢了怎么挂失和补办？", "社保卡丢了怎么办", "社保卡不见了") +
			kbEntry("social_security-card-activate", "social_security", "新领的社保卡怎么激活？", "社保卡怎么激活", "社保卡激活要去哪"),
		"kb/housing_fund.yaml": "entries:\n" +
			kbEntry("housing_fund-balance", "housing_fund", "公积金余额怎么查？", "公积金余额在哪看", "怎么查公积金账户") +
			kbEntry("housing_fund-rent", "housing_fund", "租房可以提取公积金吗？", "租房提取公积金", "公积金能付房租吗"),
		"synonyms.yaml": "synonyms:\n  - [公积金, 住房公积金]\n",
		"eval/p.tsv":    "query\texpected_id\n社保卡弄丢了\tsocial_security-card-lost\n住房公积金余额查询\thousing_fund-balance\n租房子能取公积金不\thousing_fund-rent\n",
		"eval/o.tsv":    "query\texpected_id\n明天会下雨吗\tnone\n红烧肉怎么做\tnone\n",
	}
	for k, v := range files {
		all[k] = v
	}
	for name, content := range all {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestKBUnknownCommand(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"misses"}} {
		if _, _, err := runKB(t, "", args...); !errors.Is(err, errUnknownKBCommand) {
			t.Errorf("kb %v: err = %v, want unknown kb command", args, err)
		}
	}
}

func TestKBLint(t *testing.T) {
	t.Parallel()
	expired := "entries:\n" + kbEntry("housing_fund-balance", "housing_fund", "公积金余额怎么查？", "公积金余额在哪看", "怎么查公积金账户") +
		"    expires: 2020-01-01\n" + kbEntry("housing_fund-rent", "housing_fund", "租房可以提取公积金吗？", "租房提取公积金", "公积金能付房租吗")
	tests := []struct {
		name    string
		files   map[string]string
		args    []string
		wantErr bool
		stdout  string   // fragment
		stderr  []string // fragments, file paths relative to the kb dir
	}{
		{name: "good", stdout: "ok: 4 entries, 2 departments, 2 files, 0 warning(s)"},
		{
			name:    "syntax and missing fields",
			files:   map[string]string{"kb/housing_fund.yaml": "entries:\n  - id: housing_fund-x\n    question: 问题\n    similar: [一个]\n  - id: [\n"},
			wantErr: true,
			stderr:  []string{"kb/housing_fund.yaml:5: did not find expected"},
		},
		{
			name:    "missing fields",
			files:   map[string]string{"kb/housing_fund.yaml": "entries:\n  - id: housing_fund-x\n    question: 问题\n    similar: [一个]\n"},
			wantErr: true,
			stderr:  []string{"kb/housing_fund.yaml:4: housing_fund-x: similar: want at least 2", "kb/housing_fund.yaml:2: housing_fund-x: answer is required"},
		},
		{
			name:    "duplicate id across files",
			files:   map[string]string{"kb/other.yaml": "entries:\n" + kbEntry("housing_fund-balance", "housing_fund", "公积金怎么查余额？", "查余额", "余额查询")},
			wantErr: true,
			stderr:  []string{`kb/other.yaml:2: duplicate id "housing_fund-balance"`},
		},
		{
			name:    "expired is an error",
			files:   map[string]string{"kb/housing_fund.yaml": expired},
			wantErr: true,
			stderr:  []string{"kb/housing_fund.yaml:2: housing_fund-balance: expired on 2020-01-01"},
		},
		{
			name:   "expired allowed",
			files:  map[string]string{"kb/housing_fund.yaml": expired},
			args:   []string{"--allow-expired"},
			stdout: "ok: 4 entries",
			stderr: []string{"kb/housing_fund.yaml:2: housing_fund-balance: expired on 2020-01-01: it is never served; retire it or extend it (warning)"},
		},
		{
			name:    "eval id unknown",
			files:   map[string]string{"eval/p.tsv": "query\texpected_id\n社保卡弄丢了\tsocial_security-card-gone\n"},
			wantErr: true,
			stderr:  []string{`eval/p.tsv:2: expected id "social_security-card-gone"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeKBDir(t, tt.files)
			stdout, stderr, err := runKB(t, "", append([]string{"lint", "--kb", dir}, tt.args...)...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v\nstderr: %s", err, tt.wantErr, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tt.stdout)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, filepath.Join(dir, w)) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	if _, _, err := runKB(t, "", "lint", "--kb", t.TempDir()); err == nil {
		t.Error("lint of a directory without kb/: no error")
	}
	if _, _, err := runKB(t, "", "lint", "--bogus"); err == nil {
		t.Error("unknown flag: no error")
	}
}

func TestKBLintRealKB(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := runKB(t, "", "lint", "--kb", "../../kb-data")
	if err != nil {
		t.Fatalf("lint ../../kb-data: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "ok:") {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestKBSearch(t *testing.T) {
	t.Parallel()
	dir := writeKBDir(t, nil)
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := runKB(t, "", "search", "--kb", dir, "社保卡丢了怎么办", "明天会下雨吗")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"社保卡丢了怎么办\n  decision: answer\n  1. ", "social_security-card-lost", "明天会下雨吗\n  decision: none"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("stdout lacks %q:\n%s", w, stdout)
			}
		}
	})
	t.Run("json from stdin", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := runKB(t, "社保卡丢了怎么办\n\n住房公积金余额在哪看\n", "search", "--kb", dir, "--json", "-k", "2")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 2 {
			t.Fatalf("want 2 JSON lines, got:\n%s", stdout)
		}
		for i, want := range []string{"social_security-card-lost", "housing_fund-balance"} {
			var got struct {
				Query    string `json:"query"`
				Decision string `json:"decision"`
				Results  []map[string]any
			}
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatal(err)
			}
			if got.Query == "" || got.Decision != "answer" || len(got.Results) == 0 || len(got.Results) > 2 || got.Results[0]["id"] != want {
				t.Errorf("line %d = %s", i, lines[i])
				continue
			}
			for _, key := range []string{"id", "question", "answer", "department", "score", "confidence"} {
				if _, ok := got.Results[0][key]; !ok {
					t.Errorf("result lacks %q: %s", key, lines[i])
				}
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		if _, _, err := runKB(t, "", "search", "--kb", dir, "-k", "0", "x"); err == nil {
			t.Error("-k 0: no error")
		}
		bad := writeKBDir(t, map[string]string{"kb/housing_fund.yaml": "entries:\n  - id: X\n"})
		if _, _, err := runKB(t, "", "search", "--kb", bad, "x"); err == nil || !strings.Contains(err.Error(), "housing_fund.yaml:2") {
			t.Errorf("invalid kb: err = %v", err)
		}
	})
}

func TestKBEval(t *testing.T) {
	t.Parallel()
	dir := writeKBDir(t, nil)
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := runKB(t, "", "eval", "--kb", dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"analyzer shipped: 4 entries", "5 queries: 3 in scope, 2 out of scope", "Recall@1 1.000", "Recall@3 1.000", "MRR 1.000",
			"false-answer rate 0.000", "latency p50"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("stdout lacks %q:\n%s", w, stdout)
			}
		}
	})
	t.Run("json, queries given twice as file and glob", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := runKB(t, "", "eval", "--kb", dir, "--json",
			"--queries", filepath.Join(dir, "eval", "p.tsv"), "--queries", filepath.Join(dir, "eval", "*.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		for _, key := range []string{"recall_at_1", "recall_at_3", "mrr", "false_answer_rate", "p50_ms", "p99_ms", "analyzer", "queries"} {
			if _, ok := got[key]; !ok {
				t.Errorf("JSON lacks %q: %s", key, stdout)
			}
		}
		if got["queries"] != 5.0 {
			t.Errorf("queries = %v, want 5 (each file once)", got["queries"])
		}
	})
	t.Run("JSONL entries", func(t *testing.T) {
		t.Parallel()
		entries := filepath.Join(t.TempDir(), "e.jsonl")
		os.WriteFile(entries, []byte(`{"id":"a","question":"怎么开通手机银行","similar":["手机银行开通"],"answer":"带身份证到网点开通。","department":"bank"}
{"id":"b","question":"","answer":"信用卡还款可以在App里操作，也可以自动扣款。"}
`), 0o644)
		queries := filepath.Join(t.TempDir(), "q.tsv")
		os.WriteFile(queries, []byte("手机银行怎么开\ta\n信用卡怎么还款\tb\n"), 0o644)
		stdout, _, err := runKB(t, "", "eval", "--kb", dir, "--entries", entries, "--queries", queries, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Entries   int     `json:"entries"`
			RecallAt1 float64 `json:"recall_at_1"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Entries != 2 || got.RecallAt1 != 1 {
			t.Errorf("got %+v (%v) from %s", got, err, stdout)
		}
	})
	t.Run("all analyzers", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := runKB(t, "", "eval", "--kb", dir, "--analyzer", "all")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "analyzer") {
			t.Fatalf("want a header and 4 rows:\n%s", stdout)
		}
		for i, a := range []string{"shipped", "gse", "standard", "cjk"} {
			if !strings.HasPrefix(lines[i+1], a+" ") {
				t.Errorf("row %d = %q, want %s", i+1, lines[i+1], a)
			}
		}
		stdout, _, err = runKB(t, "", "eval", "--kb", dir, "--analyzer", "all", "--json")
		if err != nil || strings.Count(stdout, "\n") != 4 {
			t.Errorf("--json --analyzer all: want 4 lines, got %v:\n%s", err, stdout)
		}
	})
	t.Run("tune and misses", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, err := runKB(t, "", "eval", "--kb", dir, "--tune", "-v", "--answer", "0.99", "--sure", "0.999")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "tune: chosen on the tuning half") || !strings.Contains(stdout, "held out") || !strings.Contains(stdout, "chosen on all") {
			t.Errorf("no tuning report:\n%s", stdout)
		}
		// With such strict thresholds something is not answered: listed.
		if !strings.Contains(stderr, filepath.Join(dir, "eval")) {
			t.Errorf("-v lists no misses:\n%s", stderr)
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(t.TempDir(), "bad.tsv")
		os.WriteFile(bad, []byte("query\texpected_id\nno tab\n"), 0o644)
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--queries", bad}, "bad.tsv:2: want query<TAB>expected_id"},
			{[]string{"--queries", filepath.Join(dir, "nothing-*.tsv")}, "nothing"},
			{[]string{"--analyzer", "bigrams"}, `--analyzer "bigrams"`},
			{[]string{"--entries", filepath.Join(dir, "none.jsonl")}, "none.jsonl"},
		} {
			_, _, err := runKB(t, "", append([]string{"eval", "--kb", dir}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("eval %v: err = %v, want %q", tt.args, err, tt.want)
			}
		}
	})
}
