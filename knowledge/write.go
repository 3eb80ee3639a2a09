package knowledge

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// SampleDataHeader is the comment the sample kb-data files start with. A
// city removes it once all content is its own.
const SampleDataHeader = "# 样例数据 (sample data) for the fictional city 本市 — replace with your city's own content before going live.\n" +
	"# 本文件所有政策、标准、地址、电话均为虚构示例，部署前请替换为本地真实内容。"

// WriteYAMLDir writes entries in the kb-data file format, one file per
// department into dir (dir/<department>.yaml; department "other" into
// hotline.yaml), without a header comment. See WriteYAMLDirHeader.
func WriteYAMLDir(dir string, entries []Entry) error {
	return WriteYAMLDirHeader(dir, entries, "")
}

// WriteYAMLDirHeader is WriteYAMLDir with header (e.g. SampleDataHeader;
// "#" is added to lines that lack it) at the top of every file.
//
// The entries are checked first (ValidateEntry, unique ids and questions)
// and nothing is written if any is invalid. Within a file entries keep the
// order given. Each file is written to a temporary file and renamed, so a
// reader never sees half a file. Files of departments without entries are
// neither written nor removed: to export into a kb/ directory, start from
// an empty one. What LoadDir reads back from the files equals entries
// (trimmed), field for field.
func WriteYAMLDirHeader(dir string, entries []Entry, header string) error {
	var problems []error
	for _, e := range entries {
		if err := ValidateEntry(e); err != nil {
			problems = append(problems, err)
		}
	}
	trimmed := make([]Entry, len(entries))
	for i, e := range entries {
		trimmed[i] = cloneEntry(e)
		trimEntry(&trimmed[i])
	}
	problems = append(problems, checkUnique(trimmed)...)
	if len(problems) > 0 {
		return errors.Join(problems...)
	}

	byFile := map[string][]Entry{}
	for _, e := range trimmed {
		name := e.Department + ".yaml"
		if e.Department == "other" {
			name = "hotline.yaml"
		}
		byFile[name] = append(byFile[name], e)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("knowledge: write %s: %w", dir, err)
	}
	names := make([]string, 0, len(byFile))
	for name := range byFile {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := encodeEntries(byFile[name], header)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// encodeEntries renders one kb file in the style of kb-data: keys in the
// README's order, similar as a block list, tags and keywords as flow lists,
// multi-line answers as literal blocks, dates unquoted, a blank line
// between entries.
func encodeEntries(entries []Entry, header string) ([]byte, error) {
	var buf bytes.Buffer
	if header = strings.TrimSpace(header); header != "" {
		for line := range strings.SplitSeq(header, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "#") {
				line = "# " + line
			}
			buf.WriteString(line + "\n")
		}
	}
	buf.WriteString("entries:\n")
	for i, e := range entries {
		if i > 0 {
			buf.WriteString("\n")
		}
		var one bytes.Buffer
		enc := yaml.NewEncoder(&one)
		enc.SetIndent(2)
		seq := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{entryNode(e)}}
		if err := enc.Encode(seq); err != nil {
			return nil, fmt.Errorf("knowledge: encode %s: %w", e.ID, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("knowledge: encode %s: %w", e.ID, err)
		}
		for line := range strings.SplitSeq(strings.TrimRight(one.String(), "\n"), "\n") {
			buf.WriteString("  " + line + "\n")
		}
	}
	return buf.Bytes(), nil
}

func entryNode(e Entry) *yaml.Node {
	str := func(s string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
		if strings.Contains(s, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	}
	date := func(s string) *yaml.Node {
		// No tag: a YYYY-MM-DD value is written plain, as in kb-data.
		return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	}
	list := func(items []string, flow bool) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if flow {
			n.Style = yaml.FlowStyle
		}
		for _, s := range items {
			n.Content = append(n.Content, str(s))
		}
		return n
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	add("id", str(e.ID))
	add("question", str(e.Question))
	add("similar", list(e.Similar, false))
	answer := e.Answer
	if strings.Contains(answer, "\n") || len([]rune(answer)) > 60 {
		answer += "\n" // a literal block, like the hand-written files
	}
	add("answer", str(answer))
	add("department", str(e.Department))
	if len(e.Tags) > 0 {
		add("tags", list(e.Tags, true))
	}
	if len(e.Keywords) > 0 {
		add("keywords", list(e.Keywords, true))
	}
	src := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range [][2]string{{"title", e.Source.Title}, {"number", e.Source.Number}, {"url", e.Source.URL}} {
		if kv[1] != "" {
			src.Content = append(src.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, str(kv[1]))
		}
	}
	add("source", src)
	for _, kv := range [][2]string{{"effective_from", e.EffectiveFrom}, {"expires", e.Expires}, {"updated", e.Updated}} {
		if kv[1] != "" {
			add(kv[0], date(kv[1]))
		}
	}
	if e.Owner != "" {
		add("owner", str(e.Owner))
	}
	return m
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("knowledge: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := cmp.Or(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("knowledge: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("knowledge: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("knowledge: write %s: %w", path, err)
	}
	return nil
}
