package workorder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Rules are the city's work order rules, kept as data beside the holiday
// calendar (kb-data/workorder/rules.yaml): time limits per appeal type,
// how duplicates are found and when a group of similar orders is a hot
// issue.
type Rules struct {
	// Limits are working days to reply per appeal type; types not listed
	// take DefaultLimits.
	Limits map[AppealType]int
	// DuplicateWindow and Similarity: see Config.
	DuplicateWindow time.Duration
	Similarity      float64
	// HotWindow and HotMinOrders: this many similar orders created within
	// the window make a hot issue (热点) for supervisors.
	HotWindow    time.Duration
	HotMinOrders int
}

// Defaults of the hot-issue rule: five similar appeals in a day.
const (
	DefaultHotWindow    = 24 * time.Hour
	DefaultHotMinOrders = 5
)

// DefaultRules are the rules when the city sets none.
func DefaultRules() Rules {
	return Rules{Limits: DefaultLimits, DuplicateWindow: DefaultDuplicateWindow, Similarity: DefaultSimilarity,
		HotWindow: DefaultHotWindow, HotMinOrders: DefaultHotMinOrders}
}

// rulesFile is the YAML form of Rules.
type rulesFile struct {
	Limits          map[string]int `yaml:"limits"`
	DuplicateWindow string         `yaml:"duplicate_window"`
	Similarity      *float64       `yaml:"similarity"`
	HotIssue        struct {
		Window    string `yaml:"window"`
		MinOrders *int   `yaml:"min_orders"`
	} `yaml:"hot_issue"`
}

// LoadRules reads the rules file at path; a missing file means
// DefaultRules. Every problem names the file and the key.
func LoadRules(path string) (Rules, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultRules(), nil
	}
	if err != nil {
		return Rules{}, fmt.Errorf("workorder: rules: %w", err)
	}
	return ParseRules(path, data)
}

// ParseRules parses the contents of a rules file; name is used in errors.
func ParseRules(name string, data []byte) (Rules, error) {
	r := DefaultRules()
	var f rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Rules{}, fmt.Errorf("%s: %w", name, err)
	}
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", name, key, fmt.Sprintf(format, args...))
	}
	if len(f.Limits) > 0 {
		r.Limits = make(map[AppealType]int, len(DefaultLimits))
		for t, d := range DefaultLimits {
			r.Limits[t] = d
		}
	}
	for t, days := range f.Limits {
		if !AppealType(t).Valid() {
			return Rules{}, bad("limits."+t, "not an appeal type (consult, help, complaint, report, suggestion)")
		}
		if days < 1 || days > 60 {
			return Rules{}, bad("limits."+t, "%d working days; want 1 to 60", days)
		}
		r.Limits[AppealType(t)] = days
	}
	duration := func(key, v string, into *time.Duration) error {
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 90*24*time.Hour {
			return bad(key, "%q is not a duration between 1s and 2160h (90 days), such as 24h", v)
		}
		*into = d
		return nil
	}
	if err := duration("duplicate_window", f.DuplicateWindow, &r.DuplicateWindow); err != nil {
		return Rules{}, err
	}
	if err := duration("hot_issue.window", f.HotIssue.Window, &r.HotWindow); err != nil {
		return Rules{}, err
	}
	if f.Similarity != nil {
		if *f.Similarity <= 0 || *f.Similarity >= 1 {
			return Rules{}, bad("similarity", "%g; want a number between 0 and 1", *f.Similarity)
		}
		r.Similarity = *f.Similarity
	}
	if f.HotIssue.MinOrders != nil {
		if *f.HotIssue.MinOrders < 2 {
			return Rules{}, bad("hot_issue.min_orders", "%d; want at least 2", *f.HotIssue.MinOrders)
		}
		r.HotMinOrders = *f.HotIssue.MinOrders
	}
	return r, nil
}
