package nlu

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusLine is one line of kb-data/nlu/corpus.tsv as the urgency test
// reads it.
type urgencyCorpusLine struct {
	line    int
	text    string
	urgency Urgency
}

// readUrgencyCorpus reads the text and urgency columns of the NLU corpus,
// or skips the test when the file is missing.
func readUrgencyCorpus(tb testing.TB) []urgencyCorpusLine {
	tb.Helper()
	const path = "../kb-data/nlu/corpus.tsv"
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s missing", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	var out []urgencyCorpusLine
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	col := -1
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		if col < 0 {
			for i, f := range fields {
				if f == "urgency" {
					col = i
				}
			}
			if col < 0 {
				tb.Skipf("%s: no urgency column", path)
			}
			continue
		}
		if len(fields) <= col || strings.HasPrefix(fields[0], "#") {
			continue
		}
		out = append(out, urgencyCorpusLine{n, fields[0], Urgency(strings.TrimSpace(fields[col]))})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestUrgencyCorpus(t *testing.T) {
	t.Parallel()
	lines := readUrgencyCorpus(t)
	var nEm, nUr, nNone, emHit, urHit, urExact, noneFalseEm, noneFalseUr int
	for _, l := range lines {
		got, words := DetectUrgency(l.text)
		switch l.urgency {
		case UrgencyEmergency:
			nEm++
			if got == UrgencyEmergency {
				emHit++
			} else {
				t.Errorf("corpus.tsv:%d: emergency missed (%s %q): %s", l.line, got, words, l.text)
			}
		case UrgencyUrgent:
			nUr++
			if got != UrgencyNone {
				urHit++
			} else {
				t.Logf("corpus.tsv:%d: urgent missed: %s", l.line, l.text)
			}
			if got == UrgencyUrgent {
				urExact++
			}
		case UrgencyNone:
			nNone++
			switch got {
			case UrgencyEmergency:
				noneFalseEm++
				t.Logf("corpus.tsv:%d: none read as emergency %q: %s", l.line, words, l.text)
			case UrgencyUrgent:
				noneFalseUr++
				t.Logf("corpus.tsv:%d: none read as urgent %q: %s", l.line, words, l.text)
			}
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	t.Logf("emergency recall %d/%d = %.3f", emHit, nEm, ratio(emHit, nEm))
	t.Logf("urgent recall (urgent or emergency) %d/%d = %.3f, exactly urgent %.3f", urHit, nUr, ratio(urHit, nUr), ratio(urExact, nUr))
	t.Logf("none lines read as emergency %d/%d = %.3f, as urgent %d/%d = %.3f", noneFalseEm, nNone, ratio(noneFalseEm, nNone), noneFalseUr, nNone, ratio(noneFalseUr, nNone))
	if r := ratio(urHit, nUr); nUr > 0 && r < 0.9 {
		t.Errorf("urgent recall %.3f < 0.9", r)
	}
	if r := ratio(noneFalseEm, nNone); r > 0.03 {
		t.Errorf("false emergency rate on none lines %.3f > 0.03", r)
	}
}

func TestDetectUrgency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		want    Urgency
		numbers []string // EmergencyNumbers; checked only for emergencies
	}{
		// Emergencies: danger to life now.
		{"厨房有煤气味，怎么办", UrgencyEmergency, []string{"119"}},
		{"闻到很浓的天然气味道", UrgencyEmergency, []string{"119"}},
		{"燃气表漏气了", UrgencyEmergency, []string{"119"}},
		{"楼下饭店起火了", UrgencyEmergency, []string{"119"}},
		{"家里烧起来了！！", UrgencyEmergency, []string{"119"}},
		{"对面楼顶在冒黑烟", UrgencyEmergency, []string{"119"}},
		{"工厂爆炸了", UrgencyEmergency, []string{"119", "120"}},
		{"有人被困火场出不来", UrgencyEmergency, []string{"119"}},
		{"有人要跳楼", UrgencyEmergency, []string{"110", "120"}},
		{"我不想活了", UrgencyEmergency, []string{"110", "120"}},
		{"闺蜜说她割腕了", UrgencyEmergency, []string{"110", "120"}},
		{"有人持刀在街上砍人", UrgencyEmergency, []string{"110", "120"}},
		{"我老公正在家暴我", UrgencyEmergency, []string{"110", "120"}},
		{"他威胁要杀了我", UrgencyEmergency, []string{"110", "120"}},
		{"有人抢劫", UrgencyEmergency, []string{"110", "120"}},
		{"我爸晕倒了，没有呼吸", UrgencyEmergency, []string{"120"}},
		{"我妈心脏病发作了", UrgencyEmergency, []string{"120"}},
		{"他手上大出血", UrgencyEmergency, []string{"120"}},
		{"孩子把消毒液喝了，是不是中毒了", UrgencyEmergency, []string{"120"}},
		{"老婆羊水破了，要生了", UrgencyEmergency, []string{"120"}},
		{"老人摔倒起不来了", UrgencyEmergency, []string{"120"}},
		{"有人掉进河里了", UrgencyEmergency, []string{"110", "120"}},
		{"孩子溺水了", UrgencyEmergency, []string{"110", "120"}},
		{"工人触电了", UrgencyEmergency, []string{"120"}},
		{"电梯突然坠落，里面有人", UrgencyEmergency, []string{"119", "120"}},
		{"孩子被锁在车里，太阳暴晒，车里很热", UrgencyEmergency, []string{"110", "119"}},
		{"车祸，有人受伤流血", UrgencyEmergency, []string{"122", "120"}},
		{"孩子刚刚还在这，一转眼就不见了", UrgencyEmergency, []string{"110"}},
		{"骗子让我转账到安全账户，我正在转账", UrgencyEmergency, []string{"110"}},
		{"救命啊", UrgencyEmergency, []string{"110"}},
		// Urgent: harm soon.
		{"家里进水了，水漫到卧室", UrgencyUrgent, nil},
		{"被困电梯里了", UrgencyUrgent, nil},
		{"冬天暖气不热，老人冻得发抖", UrgencyUrgent, nil},
		{"停水好几天了，家里有婴儿", UrgencyUrgent, nil},
		{"下水道反水进屋了", UrgencyUrgent, nil},
		{"路口的井盖丢失了", UrgencyUrgent, nil},
		{"路面塌陷了一个大坑", UrgencyUrgent, nil},
		{"大树倒了压着车", UrgencyUrgent, nil},
		{"广告牌要掉下来了", UrgencyUrgent, nil},
		{"电线掉落在人行道上", UrgencyUrgent, nil},
		{"我爸走失了，有老年痴呆", UrgencyUrgent, nil},
		{"孩子放学一直没回家", UrgencyUrgent, nil},
		{"没有人受伤，只是追尾", UrgencyUrgent, nil},
		{"万一着火根本跑不出去", UrgencyUrgent, nil},
		// None: everyday use of frightening words.
		{"怎么办理燃气开户", UrgencyNone, nil},
		{"消防证怎么办", UrgencyNone, nil},
		{"火车票退票", UrgencyNone, nil},
		{"这家火锅很好吃", UrgencyNone, nil},
		{"生意火爆", UrgencyNone, nil},
		{"工地上热火朝天", UrgencyNone, nil},
		{"孩子上火了", UrgencyNone, nil},
		{"请火速处理", UrgencyNone, nil},
		{"我要表扬救火队员", UrgencyNone, nil},
		{"感谢消防员及时扑灭了大火", UrgencyNone, nil},
		{"煤气费怎么交", UrgencyNone, nil},
		{"咨询一下跳楼价", UrgencyNone, nil},
		{"商场跳楼大甩卖", UrgencyNone, nil},
		{"我被困难缠住了", UrgencyNone, nil},
		{"我的个人信息被泄露了", UrgencyNone, nil},
		{"气死我了", UrgencyNone, nil},
		{"想死你了", UrgencyNone, nil},
		{"吵死人了", UrgencyNone, nil},
		{"我手机进水了", UrgencyNone, nil},
		{"电脑中毒了", UrgencyNone, nil},
		{"打人民医院电话没人接", UrgencyNone, nil},
		{"孩子白血病有救助吗", UrgencyNone, nil},
		{"明天停水吗", UrgencyNone, nil},
		{"停水通知在哪里看", UrgencyNone, nil},
		{"暖气不热，室温才十五度", UrgencyNone, nil},
		{"交通事故责任认定书怎么领", UrgencyNone, nil},
		{"火灾隐患怎么举报", UrgencyNone, nil},
		// The past steps down only one level: "去年家里着火了" may still
		// matter; a "now" anywhere in the message cancels the past unless
		// the message says it is over.
		{"去年家里着火了，想问保险", UrgencyUrgent, nil},
		{"之前就闻到煤气味，现在更浓了", UrgencyEmergency, []string{"119"}},
		{"昨天着火了，现在已经扑灭了", UrgencyUrgent, nil},
		{"", UrgencyNone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			got, words := DetectUrgency(tt.text)
			if got != tt.want {
				t.Errorf("DetectUrgency(%q) = %s %q, want %s", tt.text, got, words, tt.want)
			}
			if (got == UrgencyNone) != (len(words) == 0) {
				t.Errorf("DetectUrgency(%q) = %s with words %q", tt.text, got, words)
			}
			for _, w := range words {
				if !strings.Contains(tt.text, w) {
					t.Errorf("word %q is not in the text", w)
				}
			}
			nums := EmergencyNumbers(tt.text)
			if tt.want != UrgencyEmergency {
				if nums != nil {
					t.Errorf("EmergencyNumbers(%q) = %q for a non-emergency", tt.text, nums)
				}
				return
			}
			if strings.Join(nums, ",") != strings.Join(tt.numbers, ",") {
				t.Errorf("EmergencyNumbers(%q) = %q, want %q", tt.text, nums, tt.numbers)
			}
		})
	}
}

func TestLoadUrgencyDetector(t *testing.T) {
	t.Parallel()
	d, err := LoadUrgencyDetector("../kb-data/nlu/urgency.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The city's rule…
	if got, _ := d.Detect("江堤那边决口了"); got != UrgencyEmergency {
		t.Errorf("city rule: got %s", got)
	}
	if nums := d.EmergencyNumbers("有人坐在栏杆上哭"); strings.Join(nums, ",") != "110,120" {
		t.Errorf("city rule numbers: %q", nums)
	}
	// …the city's modifier words…
	if got, _ := d.Detect("去年家里着火了，将将又着火了"); got != UrgencyEmergency {
		t.Errorf("city present word: got %s", got)
	}
	// …and the built-in rules still apply.
	if got, _ := d.Detect("闻到煤气味"); got != UrgencyEmergency {
		t.Errorf("built-in rule: got %s", got)
	}
	if got, _ := DetectUrgency("江堤那边决口了"); got != UrgencyNone {
		t.Errorf("built-in detector knows the city rule: %s", got)
	}
	b, err := LoadUrgencyDetector("")
	if err != nil || b != builtinUrgency() {
		t.Errorf("LoadUrgencyDetector(\"\") = %p, %v; want the built-in detector", b, err)
	}
}

func TestLoadUrgencyDetectorErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data, want string
	}{
		{"unknown top key", "rule: []\n", "bad.yaml:1: unknown key \"rule\""},
		{"unknown rule key", "rules:\n  - name: x\n    level: urgent\n    pattern: [a]\n", "bad.yaml:4: unknown key \"pattern\""},
		{"bad level", "rules:\n  - name: x\n    level: high\n    patterns: [a]\n", "bad.yaml:2: rule \"x\": level \"high\""},
		{"no numbers", "rules:\n  - name: x\n    level: emergency\n    patterns: [a]\n", "bad.yaml:2: rule \"x\": an emergency rule needs numbers"},
		{"bad number", "rules:\n  - name: x\n    level: emergency\n    numbers: [\"1x9\"]\n    patterns: [a]\n", "number \"1x9\""},
		{"no patterns", "rules:\n  - name: x\n    level: urgent\n", "bad.yaml:2: rule \"x\": no patterns"},
		{"bad gap", "rules:\n  - name: x\n    level: urgent\n    patterns: [\"*a\"]\n", "pattern \"*a\""},
		{"bad requires", "rules:\n  - name: x\n    level: urgent\n    patterns: [a]\n    requires: [\"b||c\"]\n", "requires \"\""},
		{"builtin name", "rules:\n  - name: fire\n    level: urgent\n    patterns: [a]\n", "bad.yaml:2: rule \"fire\": name already used"},
		{"twice", "rules:\n  - name: x\n    level: urgent\n    patterns: [a]\n  - name: x\n    level: urgent\n    patterns: [b]\n", "bad.yaml:5: rule \"x\": name already used"},
		{"disable unknown", "disable: [nothing]\n", "bad.yaml:1: disable: no built-in rule \"nothing\""},
		{"bad modifier", "modifiers:\n  future: [明年]\n", "bad.yaml:2: unknown key \"future\""},
		{"modifier gap", "modifiers:\n  past:\n    - 去年\n    - 上*次\n", "bad.yaml:4: modifier \"上*次\""},
		{"not yaml", "rules: [", "bad.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadUrgencyDetector(path)
			if err == nil {
				t.Fatalf("no error for %q", tc.data)
			}
			msg := strings.ReplaceAll(err.Error(), path, "bad.yaml")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
	// disable works.
	path := filepath.Join(dir, "disable.yaml")
	if err := os.WriteFile(path, []byte("disable: [gas_leak, gas_hiss]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadUrgencyDetector(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Detect("闻到煤气味"); got != UrgencyNone {
		t.Errorf("disabled rule still fires: %s", got)
	}
}

func TestBuiltinUrgencyRules(t *testing.T) {
	t.Parallel()
	if _, err := newUrgencyDetector(builtinUrgencyRules, builtinUrgencyModifiers); err != nil {
		t.Fatal(err)
	}
	// Every rule has a name in lower case and every emergency rule names
	// only the four national numbers.
	for _, r := range builtinUrgencyRules {
		if strings.ToLower(r.Name) != r.Name {
			t.Errorf("rule %q: name not lower case", r.Name)
		}
		for _, n := range r.Numbers {
			switch n {
			case "110", "119", "120", "122":
			default:
				t.Errorf("rule %q: number %s", r.Name, n)
			}
		}
	}
}
