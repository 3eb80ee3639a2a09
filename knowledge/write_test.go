package knowledge

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteYAMLDirRoundTrip(t *testing.T) {
	t.Parallel()
	entries := realEntries(t)
	// Odd values the writer must quote or block: numbers, dates, colons,
	// leading spaces, one-line and multi-line answers.
	odd := Entry{ID: "other-odd", Question: "12345: 是什么？", Similar: []string{"12345", "yes", "- 列表?"},
		Answer: "一行答案", Department: "other", Tags: []string{"12345", "a: b"}, Keywords: []string{"2024-01-01", "#号"},
		Source:        Source{Title: "标题: 副标题", Number: "〔2024〕3号", URL: "https://example.gov.cn/a?b=c#d"},
		EffectiveFrom: "2024-01-01", Expires: "2030-12-31", Updated: "2026-10-15", Owner: "本市 某局"}
	entries = append(entries, odd)
	dir := t.TempDir()
	if err := WriteYAMLDirHeader(filepath.Join(dir, "kb"), entries, SampleDataHeader); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("read back %d entries, want %d", len(got), len(entries))
	}
	byID := map[string]Entry{}
	for _, e := range got {
		byID[e.ID] = e
	}
	for _, want := range entries {
		g := byID[want.ID]
		if want.Department == "other" && filepath.Base(g.File) != "hotline.yaml" ||
			want.Department != "other" && filepath.Base(g.File) != want.Department+".yaml" {
			t.Errorf("%s written to %s", want.ID, g.File)
		}
		g.File, g.Line, want.File, want.Line = "", 0, "", 0
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", want.ID, g, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "kb", "hotline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# 样例数据") || !strings.Contains(string(data), "effective_from: 2024-01-01\n") {
		t.Errorf("hotline.yaml:\n%s", data)
	}

	// Without a header: no comment.
	plain := t.TempDir()
	if err := WriteYAMLDir(plain, entries[:1]); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(plain, "*.yaml"))
	data, _ = os.ReadFile(files[0])
	if !strings.HasPrefix(string(data), "entries:\n") {
		t.Errorf("no header wanted:\n%s", data)
	}
	if tmp, _ := filepath.Glob(filepath.Join(plain, ".*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestWriteYAMLDirRefusesInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := fixtureEntries()
	e[1].Question = e[0].Question
	err := WriteYAMLDir(dir, e)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "duplicate question") {
		t.Errorf("err = %v", err)
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("wrote files for invalid entries: %v", files)
	}
}
