package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
)

// seedStore leaves a stopped server's store with misses and one edit.
func seedStore(t *testing.T, dir string) knowledge.Entry {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range []string{"护照加急", "护照加急", "红烧肉怎么做"} {
		st.RecordMiss(ctx, q, "none")
	}
	e := knowledge.Entry{
		ID: "civil_affairs-pet-cemetery", Question: "宠物去世后遗体怎么处理？",
		Similar: []string{"狗狗死了埋在哪里", "猫去世了怎么安葬", "宠物尸体能不能随便扔"},
		Answer:  "请送本市宠物无害化处理点。", Department: "civil_affairs",
		Tags: []string{"宠物"}, Keywords: []string{"宠物"},
		Source:        knowledge.Source{Title: "本市动物防疫管理办法", Number: "本农规〔2025〕2号", URL: "https://www.example.gov.cn/ny/2025-02.html"},
		EffectiveFrom: "2025-01-01", Updated: "2026-11-01", Owner: "本市农业农村局",
	}
	data, _ := json.Marshal(e)
	if _, err := st.SaveKnowledgeEdit(ctx, store.KnowledgeEdit{ID: e.ID, Entry: data}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveKnowledgeEdit(ctx, store.KnowledgeEdit{ID: "social_security-card-lost", Retired: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKBMisses(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, dir)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"kb", "misses", "--data", dir}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.Contains(lines[1], "护照加急") {
		t.Errorf("kb misses printed:\n%s\nwant a header, then 护照加急 (2), then 红烧肉怎么做", out.String())
	}
	out.Reset()
	run(context.Background(), []string{"kb", "misses", "--data", dir, "--json", "--limit", "1"}, nil, &out, io.Discard)
	var got struct{ Misses []store.Miss }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Misses) != 1 || got.Misses[0].Count != 2 {
		t.Errorf("kb misses --json --limit 1 = %s (%v)", out.String(), err)
	}
}

func TestKBMissesWhileServerHoldsStore(t *testing.T) {
	dir := t.TempDir()
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"kb", "misses", "--data", dir}, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "/api/v1/kb/misses") {
		t.Errorf("exit %d, stderr %q; want 1 and a pointer to the admin API", code, errOut.String())
	}
}

// TestKBExport: the export is the seed with the stored edits applied, in the
// kb-data format, and loads back.
func TestKBExport(t *testing.T) {
	dir := t.TempDir()
	added := seedStore(t, dir)
	seed, err := knowledge.LoadDir("../../kb-data")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var stdout, errOut bytes.Buffer
	if code := run(context.Background(), []string{"kb", "export", "--kb", "../../kb-data", "--data", dir, "--out", filepath.Join(out, "kb")}, nil, &stdout, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	back, err := knowledge.LoadDir(out)
	if err != nil {
		t.Fatalf("exported files do not load: %v", err)
	}
	if len(back) != len(seed) {
		t.Errorf("exported %d entries, want %d (seed + 1 added - 1 retired)", len(back), len(seed))
	}
	var found bool
	for _, e := range back {
		if e.ID == "social_security-card-lost" {
			t.Error("the retired entry was exported")
		}
		if e.ID == added.ID {
			found = e.Answer == added.Answer
		}
	}
	if !found {
		t.Error("the added entry is missing from the export or changed")
	}
	if code := run(context.Background(), []string{"kb", "export", "--data", dir}, nil, io.Discard, io.Discard); code != 1 {
		t.Errorf("export without --out exit %d, want 1", code)
	}
}
