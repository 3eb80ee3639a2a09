package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeEvalFile writes a labelled file of n texts per label.
func writeEvalFile(t *testing.T, name string, n int) string {
	t.Helper()
	topics := map[string][]string{
		"social_security": {"社保卡丢了怎么办", "养老金什么时候发", "社保断交有影响吗", "社保卡密码忘了", "退休工资几号到账", "社保怎么转移"},
		"housing_fund":    {"公积金怎么提取", "公积金贷款额度", "公积金余额怎么查", "租房提取公积金", "公积金断缴了", "公积金账户转移"},
		"traffic":         {"驾驶证到期换证", "违章罚款在哪交", "车辆年检带什么", "驾照扣分怎么查", "电动车怎么上牌", "交通违法处理"},
	}
	var b strings.Builder
	b.WriteString("text\tlabel\n# test data\n")
	for _, label := range []string{"social_security", "housing_fund", "traffic"} {
		for i := range n {
			texts := topics[label]
			b.WriteString(texts[i%len(texts)])
			if i >= len(texts) {
				b.WriteString("吗")
			}
			b.WriteString("\t" + label + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runEval(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := nluEvalWith(context.Background(), args, &stdout, &stderr, sharedSegmenter)
	return stdout.String(), stderr.String(), err
}

func TestNLUEvalCrossValidation(t *testing.T) {
	t.Parallel()
	data := writeEvalFile(t, "data.tsv", 10)
	for _, model := range []string{"baseline", "ours"} {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			out, _, err := runEval(t, "eval", "--data", data, "--folds", "3", "--model", model)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"model " + model + ", 3-fold cross-validation, 30 test examples, 3 labels", "accuracy", "macro-F1", "housing_fund", "precision", "support"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestNLUEvalTrainTestJSON(t *testing.T) {
	t.Parallel()
	train := writeEvalFile(t, "train.tsv", 8)
	test := writeEvalFile(t, "test.tsv", 3)
	out, _, err := runEval(t, "--train", train, "--test", test, "--model", "baseline", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, key := range []string{"accuracy", "macro_f1", "per_class", "confusions", "threshold", "model", "mode"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, out)
		}
	}
	if doc["mode"] != "train-test" || doc["examples"].(float64) != 9 {
		t.Errorf("mode %v examples %v", doc["mode"], doc["examples"])
	}
	perClass := doc["per_class"].([]any)
	if len(perClass) != 3 {
		t.Fatalf("per_class %v", perClass)
	}
	for _, key := range []string{"label", "precision", "recall", "f1", "support"} {
		if _, ok := perClass[0].(map[string]any)[key]; !ok {
			t.Errorf("per_class entry lacks %q", key)
		}
	}
}

// TestNLUEvalCorpus evaluates a head of a corpus file given with --data.
func TestNLUEvalCorpus(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("text\tintent\tdepartment\turgency\n")
	for i := range 6 {
		b.WriteString("你好" + strings.Repeat("呀", i) + "\tgreeting\t-\tnone\n")
		b.WriteString("社保卡丢了" + strings.Repeat("啊", i) + "\tconsult\tsocial_security\tnone\n")
		b.WriteString("水管爆了" + strings.Repeat("！", i) + "\treport\tutilities\turgent\n")
	}
	path := filepath.Join(t.TempDir(), "corpus.tsv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	out, _, err := runEval(t, "eval", "--data", path, "--task", "department", "--folds", "3", "--model", "baseline", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Examples int `json:"examples"`
		Labels   int `json:"labels"`
	}
	json.Unmarshal([]byte(out), &doc)
	if doc.Examples != 12 || doc.Labels != 2 {
		t.Errorf("department head: %d examples, %d labels, want 12 and 2 (greetings have none)", doc.Examples, doc.Labels)
	}
	if _, _, err := runEval(t, "eval", "--data", path, "--task", "mood", "--model", "baseline"); err == nil || !strings.Contains(err.Error(), `no head "mood"`) {
		t.Errorf("unknown head: %v", err)
	}
}

func TestNLUEvalBadInput(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.tsv")
	os.WriteFile(bad, []byte("text\tlabel\n你好\tgreeting\n只有一列\n"), 0o644)
	good := writeEvalFile(t, "good.tsv", 4)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad data file", []string{"eval", "--data", bad}, bad + ":3: want 2 columns, got 1"},
		{"bad test file", []string{"eval", "--train", good, "--test", bad}, bad + ":3:"},
		{"missing file", []string{"eval", "--data", bad + ".nope"}, "no such file"},
		{"train without test", []string{"eval", "--train", good}, "--train and --test go together"},
		{"unknown model", []string{"eval", "--data", good, "--model", "svm"}, `--model "svm"`},
		{"unknown command", []string{"fit"}, `unknown nlu command "fit"`},
		{"unknown flag", []string{"eval", "--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runEval(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
