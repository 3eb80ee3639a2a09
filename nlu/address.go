package nlu

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// District is one district (区/县) of the city's gazetteer, as listed in
// kb-data/nlu/districts.yaml.
type District struct {
	// Name is the official name (青山区).
	Name string `yaml:"name"`
	// Aliases are other names citizens use (青山, 高新技术产业开发区).
	Aliases []string `yaml:"aliases"`
	// Streets are the sub-districts and towns (建设街道, 滨江镇).
	Streets []string `yaml:"streets"`
}

// LoadDistricts reads a gazetteer file: a top-level key `districts` with a
// list of {name, aliases, streets}. Every name must be non-empty, no name,
// alias or street may appear twice in the file, and unknown keys are
// errors; problems are reported as "file:line: message".
func LoadDistricts(path string) ([]District, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: districts: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("nlu: %s: %w", path, err)
	}
	fail := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("nlu: %s:%d: %s", path, n.Line, fmt.Sprintf(format, args...))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("nlu: %s: empty file", path)
	}
	root := doc.Content[0]
	list, err := yamlMappingValue(root, "districts", fail)
	if err != nil {
		return nil, err
	}
	if err := yamlCheckKeys(root, fail, "districts"); err != nil {
		return nil, err
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list, "districts: want a list")
	}
	seen := map[string]int{}
	var out []District
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			return nil, fail(item, "want a mapping with name, aliases, streets")
		}
		if err := yamlCheckKeys(item, fail, "name", "aliases", "streets"); err != nil {
			return nil, err
		}
		var d District
		if err := item.Decode(&d); err != nil {
			return nil, fail(item, "%v", err)
		}
		if strings.TrimSpace(d.Name) == "" {
			return nil, fail(item, "district without a name")
		}
		for _, w := range append(append([]string{d.Name}, d.Aliases...), d.Streets...) {
			if strings.TrimSpace(w) == "" || strings.ContainsAny(w, " \t\n") {
				return nil, fail(item, "%s: empty name or name with spaces %q", d.Name, w)
			}
			if line, dup := seen[w]; dup {
				return nil, fail(item, "%q already listed at line %d", w, line)
			}
			seen[w] = item.Line
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fail(list, "no districts")
	}
	return out, nil
}

// yamlMappingValue returns the value of key in the mapping node m.
func yamlMappingValue(m *yaml.Node, key string, fail func(*yaml.Node, string, ...any) error) (*yaml.Node, error) {
	if m.Kind != yaml.MappingNode {
		return nil, fail(m, "want a mapping with key %q", key)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], nil
		}
	}
	return nil, fail(m, "missing key %q", key)
}

// yamlCheckKeys reports the first key of mapping m that is not in allowed.
func yamlCheckKeys(m *yaml.Node, fail func(*yaml.Node, string, ...any) error, allowed ...string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		ok := false
		for _, a := range allowed {
			ok = ok || k.Value == a
		}
		if !ok {
			return fail(k, "unknown key %q (want one of %s)", k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// This file finds addresses. An address is a chain of adjacent parts:
//
//   - a gazetteer name: a district's name or alias (青山区, 青山) or a
//     street/town (建设街道, 滨江镇);
//   - a road: a name and 路/街/大道/大街/巷/胡同/弄/街道 (建设路, 解放北路);
//   - a place: a name and 小区/花园/苑/公寓/家园/村/社区/新村/大厦/广场/
//     公园/大桥… (幸福小区);
//   - a number part: digits, Chinese numerals or one letter and 号/号院/号楼/
//     栋/幢/座/单元/楼/层/室/户/弄 (18号, 3栋, 2单元, 502室), or 3-2-502
//     after a place.
//
// Chinese has no spaces, so where a generic name begins is a guess: the
// name is read backwards from its suffix over Han characters until a
// function character (的, 在, 住, 我, 和, 这, 个…), an administrative
// character (区, 县, 市, 省), a non-Han character or a gazetteer name; a
// name of up to four characters is kept whole, a longer run keeps its last
// two characters (plus a trailing direction or ordinal: 解放北路). Names
// need two characters, and everyday words that end like a road (走路,
// 过马路, 上班路, 逛街, 临街) or a place (我们小区, 隔壁小区, 农村) are not
// addresses.
//
// An address stops at the first character that is no part: punctuation,
// 的/有/在, and relative positions — 附近, 门口, 对面, 旁边, 路口 are NOT
// included (建设路18号门口 → 建设路18号). A district alias alone (青山)
// counts only when what follows is not more Han text (青山绿水 is no
// address) or is a function character or relative position (青山这边,
// 临江附近); the full name (青山区) and streets always count. Two or more
// number parts alone (3栋2单元502室) are an address; one alone only when
// it is 号楼/栋/幢/单元/室 in digits.

// gazKind says what a gazetteer name is.
type gazKind uint8

const (
	gazDistrict gazKind = iota + 1 // the official name of a district
	gazAlias                       // an alias of a district
	gazStreet                      // a street or town
)

// gazetteer holds the city's place names in a rune trie.
type gazetteer struct {
	root gazNode
}

type gazNode struct {
	next map[rune]*gazNode
	kind gazKind
}

func newGazetteer(districts []District) *gazetteer {
	g := &gazetteer{}
	add := func(w string, k gazKind) {
		n := &g.root
		for _, r := range w {
			if n.next == nil {
				n.next = map[rune]*gazNode{}
			}
			c := n.next[r]
			if c == nil {
				c = &gazNode{}
				n.next[r] = c
			}
			n = c
		}
		if n.kind == 0 || k < n.kind {
			n.kind = k
		}
	}
	for _, d := range districts {
		if d.Name != "" {
			add(d.Name, gazDistrict)
		}
		for _, a := range d.Aliases {
			if a != "" {
				add(a, gazAlias)
			}
		}
		for _, s := range d.Streets {
			if s != "" {
				add(s, gazStreet)
			}
		}
	}
	return g
}

// longest returns the end and kind of the longest gazetteer name at r[i].
func (g *gazetteer) longest(r []rune, i int) (int, gazKind) {
	n := &g.root
	end, kind := 0, gazKind(0)
	for j := i; j < len(r) && n.next != nil; j++ {
		n = n.next[r[j]]
		if n == nil {
			break
		}
		if n.kind != 0 {
			end, kind = j+1, n.kind
		}
	}
	return end, kind
}

// roadSuffixes and placeSuffixes end generic road and place names, longest
// first.
var (
	roadSuffixes  = []string{"大道", "大街", "胡同", "街道", "路", "街", "巷", "弄"}
	placeSuffixes = []string{"小区", "花园", "花苑", "家园", "公寓", "新村", "社区", "新城", "大厦", "广场", "公园", "大桥", "苑", "村"}
	unitSuffixes  = []string{"号院", "号楼", "单元", "号", "栋", "幢", "座", "楼", "层", "室", "户", "弄"}
)

// nameStops end a generic name read backwards: function characters,
// administrative characters and units. weakStops end it only once two
// name characters are read, because names often start with them (和平路,
// 向阳小区, 朝阳路, 同心苑, 经开路).
const (
	nameStopChars = "的地得在住到是我你他她它们去从及或了有靠于把被给这那个条说就都也还又很想要让咱您沿着所该隔附啊呢吧吗呀哦嗯哪些每各几叫找问请帮区县市省本过将由号室栋幢"
	weakStopChars = "和与跟同往近对离向朝经"
)

var (
	nameStops    = newRuneSet(nameStopChars)
	weakStops    = newRuneSet(weakStopChars)
	suffixStarts = firstRunes(roadSuffixes, placeSuffixes)
)

// notRoads are everyday words ending like a road; a match ending in one
// is no address unless two name characters remain before it (中山一路).
var notRoads = []string{
	"马路", "道路", "公路", "铁路", "线路", "网路", "思路", "出路", "电路", "套路", "半路", "水路", "陆路", "山路", "土路",
	"弯路", "近路", "远路", "领路", "带路", "问路", "开路", "让路", "迷路", "赶路", "退路", "后路", "活路", "门路", "销路",
	"心路", "修路", "堵路", "挡路", "拦路", "绕路", "走路", "上路", "同路", "来路", "去路", "小路", "大路", "岔路", "回家路",
	"上班路", "下班路", "放学路", "上学路", "主路", "辅路", "一路", "大街", "上街", "逛街", "满街", "临街", "沿街", "小巷",
	"街道", "当街", "老街", "新街",
}

// notPlaceNames are names that make no place with a place suffix.
var notPlaceNames = map[string]bool{
	"老旧": true, "隔壁": true, "对面": true, "附近": true, "周边": true, "旁边": true, "周围": true, "整个": true,
	"别的": true, "其他": true, "其它": true, "各个": true, "每个": true, "同一": true, "所在": true, "一个": true,
	"哪个": true, "这个": true, "那个": true, "高档": true, "封闭": true, "开放式": true, "安置": true, "回迁": true,
	"拆迁": true, "新农": true, "城中": true, "度假": true, "美丽乡": true, "地球": true, "主题": true, "空中": true,
	"商品房": true, "老小": true, "农": true, "乡": true,
	// What citizens do with a place: 我要投诉小区物业, 想反映小区….
	"投诉": true, "举报": true, "反映": true, "咨询": true, "求助": true, "建议": true, "表扬": true, "查询": true,
}

// relatives may follow a lone district alias: 青山这边, 临江附近.
var relatives = []string{"附近", "门口", "对面", "旁边", "一带", "这边", "那边", "这里", "那里", "境内", "辖区", "地区", "方向", "周边", "片区"}

// appendAddresses appends the address entities of the text (raw runes for
// the value, normalised runes for matching).
func (g *gazetteer) appendAddresses(out []Entity, raw, r []rune) []Entity {
	// Gazetteer names, leftmost longest.
	var anchors []addrSpan
	// inGaz marks the runes inside a gazetteer name, gazEnd the positions
	// right after one, addr the runes already in an address.
	marks := make([]uint8, len(r)+1)
	const (
		inGaz  = 1 << iota
		gazEnd // a gazetteer name ends here
		inAddr
	)
	for i := 0; i < len(r); {
		end, kind := g.longest(r, i)
		if end == 0 {
			i++
			continue
		}
		anchors = append(anchors, addrSpan{i, end, kind})
		for k := i; k < end; k++ {
			marks[k] |= inGaz
		}
		marks[end] |= gazEnd
		i = end
	}
	// Generic roads and places, read back from their suffix.
	for j := 0; j < len(r); j++ {
		if marks[j]&inGaz != 0 || !suffixStarts.has(r[j]) {
			continue
		}
		for _, road := range [2]bool{true, false} {
			set := placeSuffixes
			if road {
				set = roadSuffixes
			}
			suf, n, ok := prefixAny(r, j, set)
			if !ok {
				continue
			}
			end := j + n
			if road && suf == "路" && end < len(r) && containsRune("灯面况费段由标牌基政网线", r[end]) {
				continue // 路灯, 路面
			}
			start, ok := genericName(r, j, marks, inGaz)
			if !ok {
				continue
			}
			if road && isNotRoad(r[start:end]) {
				continue
			}
			if !road && notPlaceNames[string(r[start:j])] {
				continue
			}
			anchors = append(anchors, addrSpan{start, end, 0})
			j = end - 1
			break
		}
	}
	if len(anchors) == 0 && !hasUnit(r) {
		return out
	}
	slices.SortStableFunc(anchors, func(a, b addrSpan) int { return a.start - b.start })

	emit := func(start, end int) {
		out = append(out, Entity{Type: EntityAddress, Value: string(raw[start:end]), Start: start, End: end})
	}
	next := 0 // index of the next anchor not yet used
	covered := 0
	for next < len(anchors) {
		a := anchors[next]
		next++
		if a.start < covered {
			continue
		}
		start, end := a.start, a.end
		parts := 1
		loneAlias := a.kind == gazAlias
		for {
			// An anchor right here (a gazetteer name, a road, a place)?
			if next < len(anchors) && anchors[next].start == end {
				end = anchors[next].end
				next++
				parts++
				continue
			}
			// A place suffix straight after a gazetteer name: 临江小区.
			if suf, n, ok := prefixAny(r, end, placeSuffixes); ok && parts > 0 && marks[end]&gazEnd != 0 && suf != "村" {
				end += n
				parts++
				continue
			}
			if e, ok := unitPartAt(r, end, true); ok {
				end = e
				parts++
				continue
			}
			break
		}
		for next < len(anchors) && anchors[next].start < end {
			next++
		}
		if loneAlias && parts == 1 && end < len(r) && isHan(r[end]) && !nameStops.has(r[end]) {
			if _, _, ok := prefixAny(r, end, relatives); !ok {
				continue
			}
		}
		emit(start, end)
		for k := start; k < end; k++ {
			marks[k] |= inAddr
		}
		covered = end
	}
	// Number parts alone: 3栋2单元502室, 5号楼.
	for i := 0; i < len(r); i++ {
		if !(isDigit(r[i]) || isCNDigit(r[i]) || r[i] == '十') || (i > 0 && (isDigit(r[i-1]) || isCNDigit(r[i-1]) || r[i-1] == '十' || r[i-1] == '第' || isASCIILetter(r[i-1]))) {
			continue
		}
		if marks[i]&inAddr != 0 {
			continue
		}
		end, parts, digitsOnly, strong := i, 0, true, false
		for {
			e, ok := unitPartAt(r, end, false)
			if !ok {
				break
			}
			for _, u := range []string{"号楼", "栋", "幢", "单元", "室"} {
				if _, ok := hasSuffixAt(r, e, u); ok {
					strong = true
				}
			}
			for _, c := range r[end:e] {
				if !isDigit(c) && isHan(c) && !containsRune("号院楼栋幢座单元层室户弄", c) {
					digitsOnly = false
				}
			}
			end = e
			parts++
		}
		if parts >= 2 || (parts == 1 && strong && digitsOnly) {
			emit(i, end)
			i = end - 1
		}
	}
	return out
}

// addrSpan is one part of an address found on its own: a gazetteer name
// or a generic road or place.
type addrSpan struct {
	start, end int
	kind       gazKind // 0 for a generic road or place
}

// hasUnit reports whether r has any unit character, so a text without
// anchors can skip the search for number parts alone.
func hasUnit(r []rune) bool {
	for _, c := range r {
		if containsRune("号栋幢单室", c) {
			return true
		}
	}
	return false
}

// genericName finds where the name before the suffix at r[j] starts.
func genericName(r []rune, j int, marks []uint8, inGaz uint8) (int, bool) {
	k := j
	for k > 0 && j-k <= 5 { // past five characters only the last two count
		c := r[k-1]
		if !isHan(c) || marks[k-1]&inGaz != 0 || nameStops.has(c) || (weakStops.has(c) && j-k >= 2) {
			break
		}
		if c == '家' && k > 1 && containsRune("我你他她咱俺您们", r[k-2]) {
			break
		}
		k--
	}
	n := j - k
	if n > 4 {
		// Too long to be one name: keep the last two characters and any
		// direction or ordinal after them.
		t := j
		for t > k && containsRune("东西南北中一二三四五六七八九十", r[t-1]) && j-t < 2 {
			t--
		}
		k = t - 2
		n = j - k
	}
	if n < 2 {
		// A name right after a gazetteer name may be short (青山区幸福里…
		// is not read; 临江小区 is handled by the caller).
		return 0, false
	}
	return k, true
}

// isNotRoad reports whether a road match is an everyday word.
func isNotRoad(m []rune) bool {
	for _, w := range notRoads {
		if p, ok := hasSuffixAt(m, len(m), w); ok && p < 2 {
			return true
		}
	}
	return false
}

// unitPartAt reads one number part at r[i]: a number (digits, Chinese
// numerals, or one ASCII letter) and a unit, or, when dash is set,
// "-"-joined groups of at most four digits and eight in all (3-2-502), so
// that a phone number written after an address stays a phone number.
func unitPartAt(r []rune, i int, dash bool) (int, bool) {
	if i >= len(r) {
		return i, false
	}
	j := i
	switch {
	case isDigit(r[j]):
		for j < len(r) && isDigit(r[j]) {
			j++
		}
		// 3-2-502, 18-2号.
		for j+1 < len(r) && r[j] == '-' && isDigit(r[j+1]) {
			j++
			for j < len(r) && isDigit(r[j]) {
				j++
			}
		}
	case isCNDigit(r[j]) || r[j] == '十':
		_, e, ok := numberAt(r, j)
		if !ok {
			return i, false
		}
		j = e
	case isASCIILetter(r[j]):
		j++
		if j < len(r) && isASCIIAlnum(r[j]) {
			return i, false
		}
	default:
		return i, false
	}
	if _, n, ok := prefixAny(r, j, unitSuffixes); ok {
		end := j + n
		if end < len(r) && r[end] == '梯' || hasPrefixAt(r, j, "号码") {
			// 3楼梯 (stairs), 号码 (a number, not a house number).
			return i, false
		}
		return end, true
	}
	if dash && slices.Contains(r[i:j], '-') {
		group, total := 0, 0
		for _, c := range r[i:j] {
			if c == '-' {
				group = 0
				continue
			}
			group++
			total++
			if group > 4 || total > 8 {
				return i, false
			}
		}
		return j, true
	}
	return i, false
}
