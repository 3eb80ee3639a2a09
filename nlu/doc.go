// Package nlu understands one citizen message: it segments Chinese text into
// words, recognises the intent, and (as the models grow) the department,
// entities and urgency. It knows nothing about channels, conversations or
// storage.
//
// # Segmentation
//
// [Segmenter] wraps one github.com/go-ego/gse segmenter. Loading gse's
// embedded dictionary takes about 2.5 s and about 128 MiB, so a process (and
// a test binary) builds exactly one with [NewSegmenter] at start-up and shares
// it: after construction it is read-only and safe for concurrent use. To
// change the user dictionary, build a new Segmenter and swap it in; never add
// words to a live one (gse's AddToken is not safe while others segment).
//
// The user dictionary is a text file of lines "word freq [pos]" — the word
// (no spaces), a frequency of at least 2 and an optional part-of-speech tag.
// Blank lines and lines starting with '#' are skipped. A word that gse's own
// dictionary already has takes the user dictionary's frequency and tag, so
// the file really decides how its words segment. The file is read and checked
// before the slow dictionary load, and a malformed line is reported as
// "file:line: message".
//
// [Segmenter.Tokens] is gse's precise mode (Segment, dictionary shortest path,
// no HMM) with whitespace and punctuation dropped. [Segmenter.SearchTokens]
// adds the search-mode sub-words of long words (中华人民共和国 → 中华,
// 人民共和国, 人民, 共和国, 共和), each tagged with its parent word so an index
// can put it at the parent's position. Byte offsets always point into the
// caller's input; token text is lowercased the way gse does it (ASCII letters
// only).
package nlu
