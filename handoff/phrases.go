package handoff

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Phrase is one of the standard phrases (规范用语) the agent console offers
// an agent to insert, so that every agent opens, asks the citizen to wait,
// transfers, apologises, soothes and closes in the hotline's agreed words.
// Text may hold {name} and {id}, the agent's name and number (工号), for
// the console to fill in.
type Phrase struct {
	// Category is one of greeting (开场), wait (请稍候), transfer (转接),
	// apology (致歉), comfort (安抚) and closing (结束).
	Category string `json:"category"`
	// Text is the phrase as the citizen reads it.
	Text string `json:"text"`
}

// phraseCategories are the categories a phrases file may use, in the order
// the console shows them.
var phraseCategories = []string{"greeting", "wait", "transfer", "apology", "comfort", "closing"}

// phrasePlaceholder finds {…} in a phrase; only {name} and {id} are filled.
var phrasePlaceholder = regexp.MustCompile(`\{[^{}]*\}`)

// phraseDefaults are the phrases of a hotline without a phrases file: one
// per category, so that the console never shows an empty list.
func phraseDefaults() []Phrase {
	return []Phrase{
		{"greeting", "您好，这里是12345政务服务便民热线，工号{id}为您服务，请问有什么可以帮您？"},
		{"wait", "请您稍候，我正在为您查询相关信息。"},
		{"transfer", "您反映的问题需要由相关部门专人办理，我现在为您转接，请稍候。"},
		{"apology", "非常抱歉给您带来不便，我们会尽快为您处理。"},
		{"comfort", "请您不要着急，您反映的情况我已经详细记录，我们会尽力帮您解决。"},
		{"closing", "感谢您的咨询，如有其他问题欢迎随时联系12345，祝您生活愉快，再见！"},
	}
}

// LoadPhrases reads the standard phrases file (kb-data/handoff/phrases.yaml):
// a mapping from category to its list of phrases,
//
//	greeting:
//	  - 您好，这里是本市12345政务服务便民热线，工号{id}为您服务，请问有什么可以帮您？
//	wait:
//	  - 请您稍候，我正在为您查询。
//
// and returns them in file order. The categories are greeting, wait,
// transfer, apology, comfort and closing; a category may be left out. It
// refuses unknown categories, empty or repeated phrases, and placeholders
// other than {name} and {id}; every problem is reported as
// "file:line: message", all of them joined in one error. A missing file
// gives a built-in minimal set, one phrase per category.
func LoadPhrases(path string) ([]Phrase, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return phraseDefaults(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handoff: phrases: %w", err)
	}
	return phraseParse(path, data)
}

// phraseParse checks and decodes a phrases file's contents.
func phraseParse(file string, data []byte) ([]Phrase, error) {
	var problems []error
	problem := problemsIn(file, &problems)
	doc, err := yamlDoc(file, data)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		line := 1
		if len(doc.Content) > 0 {
			line = doc.Content[0].Line
		}
		problem(line, "want a mapping from category (%s) to a list of phrases", strings.Join(phraseCategories, ", "))
		return nil, errors.Join(problems...)
	}
	top := doc.Content[0]

	var (
		phrases []Phrase
		catLine = map[string]int{}
		textAt  = map[string]int{}
	)
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, list := top.Content[i], top.Content[i+1]
		cat := key.Value
		if !slices.Contains(phraseCategories, cat) {
			problem(key.Line, "unknown category %q: want one of %s", cat, strings.Join(phraseCategories, ", "))
			continue
		}
		if prev, dup := catLine[cat]; dup {
			problem(key.Line, "category %s is already listed at line %d", cat, prev)
			continue
		}
		catLine[cat] = key.Line
		if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			problem(list.Line, "%s: want a list of phrases (- 您好，…)", cat)
			continue
		}
		for _, item := range list.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				problem(item.Line, "%s: want the phrase text (quote a phrase that starts with { or [, e.g. \"{name}为您服务\")", cat)
				continue
			}
			text := strings.TrimSpace(item.Value)
			if text == "" {
				problem(item.Line, "%s: empty phrase", cat)
				continue
			}
			if ph, bad := phraseBadPlaceholder(text); bad {
				problem(item.Line, "%s: unknown placeholder %q: only {name} (the agent's name) and {id} (工号) are filled in", cat, ph)
				continue
			}
			if prev, dup := textAt[text]; dup {
				problem(item.Line, "%s: phrase %q is already listed at line %d", cat, text, prev)
				continue
			}
			textAt[text] = item.Line
			phrases = append(phrases, Phrase{Category: cat, Text: text})
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if len(phrases) == 0 {
		return nil, fmt.Errorf("%s:%d: no phrases", file, top.Line)
	}
	return phrases, nil
}

// phraseBadPlaceholder returns the first {…} in text that is neither
// {name} nor {id}.
func phraseBadPlaceholder(text string) (string, bool) {
	for _, ph := range phrasePlaceholder.FindAllString(text, -1) {
		if ph != "{name}" && ph != "{id}" {
			return ph, true
		}
	}
	return "", false
}
