// Package knowledge answers citizens' questions from the policy knowledge
// base: YAML entries under kb-data/kb, indexed with Bleve and a gse
// analyzer. It knows nothing about conversations or channels; dialog asks it
// and decides what to say. docs/KNOWLEDGE.md has the design, the
// measurements and how to rerun them.
//
// # Loading and checking
//
// [LoadDir] reads kb-data/kb/*.yaml and checks every entry (required fields,
// id and department format, at least [MinSimilar] phrasings, dates, unknown
// keys, duplicate ids and questions across files). Every problem is a
// [*Problem] reported as "file:line: message"; all of them come back joined
// in one error that matches [ErrInvalid]. [ValidateEntry] applies the same
// per-entry rules to one entry (the admin API's edits). [Lint] adds what CI
// should refuse: expired entries, review dates in the future, phrasings
// shared by two entries, departments missing from departments.yaml, a bad
// synonyms.yaml, eval files naming unknown ids. [WriteYAMLDir] writes
// entries back in the same format (hotline kb export).
//
// # Index
//
// [Open] indexes each entry as one document with separately weighted fields:
// question and similar as gse words (boost 3) and as single characters
// (boost 2), keywords (2), tags (1.5) and the answer (0.5) as gse words.
// Word fields are indexed in gse search mode (sub-words of long words at
// their parent's position) and queried in precise mode; character fields
// hold one term per Han character, so a segmentation mistake never loses a
// match. Fillers (怎么, 请问, 吗, 的, 我, …) are dropped from words and from
// the character query. [Synonyms] (kb-data/synonyms.yaml) rewrite every
// name of a thing to one canonical name in entries and queries alike, before
// analysis.
//
// With Config.IndexDir set, the index is kept on disk with a fingerprint
// (sha256 over the index layout version, the layout, the segmenter's
// dictionary version, the synonyms and the canonical JSON of the entries):
// Open reuses it when the fingerprint matches and rebuilds it when it does
// not or the index is unreadable ([Base.Rebuilt] tells which). [Base.Apply]
// writes the fingerprint of the edited set with its changes, so a restart
// given the seed entries merged with the stored edits reuses the index.
//
// Bleve builds analyzers by name from a global registry, so the gse
// tokenizers are registered in init and find the Segmenter through one
// package-level handle that Open sets while it builds the index (see
// gseHandle in analysis.go). It is the package's only mutable package-level
// state.
//
// # Search, confidence, decision
//
// [Base.Search] runs a disjunction of term queries over the fields, the
// (field, term) pairs rarest first until their postings would exceed a
// budget (nothing is left out on a base of a few hundred entries; on
// 100,000 it keeps a search near a millisecond), with the department hint
// as an optional clause (reorders near ties, never filters). Entries not in
// force on Config.Now's day are never returned. The best Config.Candidates
// hits are re-ranked by confidence.
//
// Confidence (0..1) is mostly coverage: the idf-weighted share of the
// query's content — character unigrams and bigrams of everything but fillers
// and punctuation — that the entry's question, similar phrasings, keywords
// and tags contain (answer text counts half), blended with how well the best
// single phrasing matches, scaled 20–100 % by precision (how much of the
// closest stored phrasing the query accounts for, so that a one-word query
// is not "fully covered" by a long phrasing containing the word) and
// 80–100 % by the hit's index score relative to the best hit. A question
// about something the knowledge base does not cover shares few characters
// with any entry and gets a low confidence however it ranks. The formula is
// in confidence.go.
//
// The decision ([Thresholds.Decide]): "answer" when the best hit has at
// least AnswerConfidence and is AnswerMargin ahead of the second, or has at
// least SureConfidence while the second has less (the "clearly confident"
// rule, off by default); "clarify" when the best two both have at least
// ClarifyConfidence; "none" otherwise. An answer carries up to three related entries: entries
// of its department sharing tags or keywords with it, then other hits
// confident enough to be answers themselves.
//
// # Defaults and what they give
//
// The confidence weights and the thresholds were chosen with a written
// protocol ([CrossValidate]): choose on one half of kb-data/eval (a fixed
// split by a hash of the query), measure on the other, both ways, and ship
// the choice made on the whole set; thresholds are chosen keeping false
// answers at most [TuneFalseAnswerRate] (half the 5 % target). On the
// sample kb-data (275 entries; 314 paraphrased questions, 58 out of scope):
//
//	                                  whole set     held out (2-fold)
//	Recall@1 (weights)                0.901         0.882
//	Recall@3                          0.975
//	answered right / wrong (of 314)   157 / 1       140 / 0
//	clarify with the right entry      132           149
//	false answers out of scope        1 of 58       1 of 58
//
// Rerun after replacing the content: hotline kb eval --tune.
//
// Search takes about 0.4 ms (p50) on this base and about 0.9 ms on 100,000
// synthetic entries (p99 13.5 ms there under load; BenchmarkLargeBase);
// Open with an up-to-date index on disk 0.1–0.25 s, most of it segmenting
// the entries for confidence. It is safe for concurrent use, and Apply is
// safe concurrently with Search.
package knowledge
