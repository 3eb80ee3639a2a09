package handoff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadPhrasesSample(t *testing.T) {
	t.Parallel()
	phrases, err := LoadPhrases(filepath.Join("..", "kb-data", "handoff", "phrases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range phrases {
		count[p.Category]++
		if strings.TrimSpace(p.Text) != p.Text || p.Text == "" {
			t.Errorf("phrase %q is not trimmed", p.Text)
		}
	}
	for _, cat := range phraseCategories {
		if n := count[cat]; n < 3 || n > 5 {
			t.Errorf("%s: %d phrases, want 3 to 5", cat, n)
		}
	}
	if phrases[0].Category != "greeting" || !strings.Contains(phrases[0].Text, "工号{id}") {
		t.Errorf("first phrase %+v, want the greeting with {id}", phrases[0])
	}
}

func TestLoadPhrasesMissing(t *testing.T) {
	t.Parallel()
	phrases, err := LoadPhrases(filepath.Join(t.TempDir(), "phrases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cats []string
	for _, p := range phrases {
		cats = append(cats, p.Category)
		if _, bad := phraseBadPlaceholder(p.Text); bad || p.Text == "" {
			t.Errorf("default phrase %q is not valid", p.Text)
		}
	}
	if !slices.Equal(cats, phraseCategories) {
		t.Errorf("default categories %v, want one phrase for each of %v", cats, phraseCategories)
	}
	// Each call gets its own slice: a caller editing it changes nothing else.
	phrases[0].Text = "changed"
	again, _ := LoadPhrases(filepath.Join(t.TempDir(), "phrases.yaml"))
	if again[0].Text == "changed" {
		t.Error("the defaults are shared between calls")
	}
}

func TestLoadPhrasesOrder(t *testing.T) {
	t.Parallel()
	text := "closing:\n  - 再见！\n  - |\n    感谢您的咨询，\n    再见。\ngreeting:\n  - 您好，我是{name}，工号{id}。\n"
	phrases, err := phraseParse("p.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Phrase{
		{"closing", "再见！"},
		{"closing", "感谢您的咨询，\n再见。"},
		{"greeting", "您好，我是{name}，工号{id}。"},
	}
	if !slices.Equal(phrases, want) {
		t.Errorf("got %q, want %q", phrases, want)
	}
}

func TestLoadPhrasesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"unknown category", "greetings:\n  - 您好\n", []string{`p.yaml:1: unknown category "greetings": want one of greeting, wait, transfer, apology, comfort, closing`}},
		{"empty text", "wait:\n  - \"  \"\n", []string{"p.yaml:2: wait: empty phrase"}},
		{"null text", "wait:\n  -\n  - 请稍候\n", []string{"p.yaml:2: wait: want the phrase text"}},
		{"list as text", "wait:\n  - [请稍候]\n", []string{"p.yaml:2: wait: want the phrase text"}},
		{"unquoted placeholder first", "greeting:\n  - {name}\n", []string{`p.yaml:2: greeting: want the phrase text (quote a phrase that starts with {`}},
		{"misspelt placeholder", "greeting:\n  - 工号{nmae}为您服务\n", []string{`p.yaml:2: greeting: unknown placeholder "{nmae}"`}},
		{"repeated phrase", "wait:\n  - 请稍候\napology:\n  - 请稍候\n", []string{`p.yaml:4: apology: phrase "请稍候" is already listed at line 2`}},
		{"category twice", "wait:\n  - 请稍候\nwait:\n  - 请再稍候\n", []string{"p.yaml:3: category wait is already listed at line 1"}},
		{"category without list", "wait: 请稍候\n", []string{"p.yaml:1: wait: want a list of phrases"}},
		{"empty category", "wait: []\n", []string{"p.yaml:1: wait: want a list of phrases"}},
		{"top level list", "- 您好\n", []string{"p.yaml:1: want a mapping from category"}},
		{"empty file", "", []string{"p.yaml:1: want a mapping from category"}},
		{"empty mapping", "{}\n", []string{"p.yaml:1: no phrases"}},
		{"yaml syntax", "wait:\n  - [\n", []string{"p.yaml:"}},
		{"all problems reported", "wait:\n  - \"\"\ncomfrot:\n  - 别急\nclosing:\n  - \"{x}再见\"\n",
			[]string{"p.yaml:2: ", "p.yaml:3: ", "p.yaml:6: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := phraseParse("p.yaml", []byte(tt.text))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadPhrasesFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "phrases.yaml")
	if err := os.WriteFile(path, []byte("greeting:\n  - 您好{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPhrases(path); err == nil || !strings.HasPrefix(err.Error(), path+":2: ") {
		t.Errorf("LoadPhrases error %v, want it to start with %s:2:", err, path)
	}
	if _, err := LoadPhrases(dir); err == nil || !strings.Contains(err.Error(), "handoff: phrases") {
		t.Errorf("LoadPhrases(directory) error %v, want a read error", err)
	}
}

func TestPhraseJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Phrase{Category: "wait", Text: "请稍候"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"category":"wait","text":"请稍候"}`; got != want {
		t.Errorf("JSON %s, want %s", got, want)
	}
}

// FuzzPhrases checks that any phrases file gives phrases or an error, never
// a panic, and that every phrase it keeps is valid.
func FuzzPhrases(f *testing.F) {
	f.Add([]byte("greeting:\n  - 您好，工号{id}为您服务\nclosing:\n  - 再见\n"))
	f.Add([]byte("wait:\n  - \"\"\ncomfrot:\n  - 别急\nclosing:\n  - \"{x}再见\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		phrases, err := phraseParse("p.yaml", data)
		if err != nil {
			return
		}
		for _, p := range phrases {
			if _, bad := phraseBadPlaceholder(p.Text); bad || p.Text == "" || !slices.Contains(phraseCategories, p.Category) {
				t.Fatalf("kept an invalid phrase %+v", p)
			}
		}
	})
}
