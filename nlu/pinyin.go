package nlu

import (
	_ "embed"
	"strings"
	"sync"
)

// pinyinTable is the toneless pinyin of the common CJK ideographs (see the
// file's header for its source).
//
//go:embed pinyin.txt
var pinyinTable string

const (
	pinyinFirst = 0x4E00
	pinyinLast  = 0x9FFF
)

var (
	pinyinOnce sync.Once
	pinyinOf   []string // rune - pinyinFirst → syllable, "" when unknown
)

// pinyin returns the toneless pinyin syllable of r, or "" when r is not a
// CJK ideograph of the table.
func pinyin(r rune) string {
	if r < pinyinFirst || r > pinyinLast {
		return ""
	}
	pinyinOnce.Do(loadPinyin)
	return pinyinOf[r-pinyinFirst]
}

func loadPinyin() {
	pinyinOf = make([]string, pinyinLast-pinyinFirst+1)
	for line := range strings.Lines(pinyinTable) {
		line = strings.TrimRight(line, "\n")
		if line == "" || line[0] == '#' {
			continue
		}
		syl, chars, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		for _, r := range chars {
			if r >= pinyinFirst && r <= pinyinLast {
				pinyinOf[r-pinyinFirst] = syl
			}
		}
	}
}
