// Package knowledge answers citizens' questions from the policy knowledge
// base: YAML entries under kb-data/kb, indexed with Bleve and a gse
// analyzer. It knows nothing about conversations or channels; dialog asks it
// and decides what to say.
//
// # Loading
//
// [LoadDir] reads kb-data/kb/*.yaml and checks every entry (required fields,
// id and department format, at least [MinSimilar] phrasings, dates, unknown
// keys, duplicate ids and questions across files). Every problem is reported
// as "file:line: message"; all of them come back joined in one error that
// matches [ErrInvalid].
//
// # Index
//
// [Open] indexes each entry as one document with separately weighted fields:
// question and similar as gse words and as single characters, keywords and
// tags as words, the answer as words. Word fields are indexed in gse search
// mode (sub-words of long words at their parent's position) and queried in
// precise mode; character fields hold one term per Han character, because
// on short paraphrased questions characters beat words and the two together
// beat either (see /work/shared/LIBRARY-NOTES.md). Fillers (怎么, 请问, 吗,
// 的, 我, …) are dropped from words and from the character query.
//
// With Config.IndexDir set, the index is kept on disk with a fingerprint
// (sha256 over the index layout version, the segmenter's dictionary version
// and the canonical JSON of the entries): Open reuses it when the fingerprint
// matches and rebuilds it when it does not or the index is unreadable
// ([Base.Rebuilt] tells which).
//
// Bleve builds analyzers by name from a global registry, so the gse
// tokenizers are registered in init and find the Segmenter through one
// package-level handle that Open sets while it builds the index (see
// gseHandle in analysis.go). It is the package's only mutable package-level
// state.
//
// # Search and confidence
//
// [Base.Search] runs a disjunction of match queries over the fields (boosts:
// question and similar words 3, their characters 2, keywords 2, tags 1.5,
// answer 0.5), with the department hint as an optional clause (boost 2:
// reorders near ties, never filters) and entries not in force on Config.Now's
// day excluded. The best Config.Candidates hits are then re-ranked by
// confidence.
//
// Confidence (0..1) is mostly coverage: the idf-weighted share of the
// query's content — character unigrams and bigrams of everything but fillers
// and punctuation — that the entry's question, similar phrasings, keywords
// and tags contain (answer text counts half), blended with how well the best
// single phrasing matches; a fifth of it depends on the hit's index score
// relative to the best hit. A question about something the knowledge base
// does not cover shares few characters with any entry and gets a low
// confidence however it ranks. The formula is spelled out in confidence.go.
//
// The decision: "answer" when the best hit has at least AnswerConfidence and
// is at least AnswerMargin ahead of the second; "clarify" when the best two
// both have at least ClarifyConfidence and are closer than AnswerMargin;
// "none" otherwise. An answer carries up to three related entries (other
// confident hits, then entries sharing tags or the department).
//
// # Defaults and what they give
//
// Measured on the sample kb-data (96 entries; eval/paraphrase.tsv: 120
// citizen questions deliberately worded unlike any question or similar;
// eval/out_of_scope.tsv: 34 questions the base does not cover), with
// AnswerConfidence 0.45, AnswerMargin 0.24, ClarifyConfidence 0.25:
//
//	Recall@1 (expected entry ranked first)      0.850
//	Recall@3                                     0.967
//	answered, right entry                        0.458 of in-scope
//	answered, wrong entry                        0.008 (1 of 120)
//	clarify with the right entry in the top 3    0.350 of in-scope
//	false answers on out-of-scope questions      0.029 (1 of 34)
//	clarify on out-of-scope questions            0.147
//
// The margin is what keeps wrong and false answers down: at margin 0.16 the
// same base answers 66 of 120 right but 2 wrong and 3 of 34 out-of-scope
// questions. The weights in confidence.go and the thresholds were chosen on
// these same files, so expect somewhat lower figures on unseen questions.
// After replacing the sample content, rerun the sweep
// (HOTLINE_KB_SWEEP=1 go test ./knowledge -run ThresholdSweep -v) and the
// figures (go test ./knowledge -run EvalRealKB -v).
//
// Search takes about 0.15–0.3 ms on this base (in memory; ~110 KB and ~1,300
// allocations per query; BenchmarkSearch, TestSearchLatency). Measured on a
// shared 2-vCPU machine under load (load average 2–4) the p99 was 1.1–2.2
// ms: the tail is the machine and GC marking gse's ~200 MB dictionary, not
// the index. It is safe for concurrent use.
package knowledge
