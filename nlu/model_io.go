package nlu

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// The classifier file format, version 3, all integers little-endian:
//
//	magic "HLNLUCLS", uint32 version
//	string model, string segmenter version, uvarint labels, strings
//	uvarint members, each:
//	  float64 weight, float64 C, byte sublinear
//	  uvarint blocks, each: byte kind, uvarint minN, uvarint maxN,
//	    float64 weight, uvarint terms, strings
//	  float64 idf × features, float32 w × features×labels, float32 b × labels
//	uint32 CRC-32 (IEEE) of everything before it
//
// A string is a uvarint byte length and the bytes. Floats are stored
// exactly, so a model read back predicts exactly as the one written.

const (
	modelMagic   = "HLNLUCLS"
	modelVersion = 3
	// Bounds that keep a corrupt file from asking for absurd allocations.
	maxModelCount  = 1 << 26
	maxModelString = 1 << 16
)

// ErrSegmenterMismatch is returned by ReadClassifier when the model's word
// features came from another segmenter (gse or user dictionary version)
// than the one given, or when it needs one and none is given: the words
// would not line up with the vocabulary. Retrain instead; it takes seconds.
var ErrSegmenterMismatch = errors.New("nlu: classifier needs the segmenter it was trained with")

// WriteTo writes the classifier in a versioned binary format. The same
// classifier always gives the same bytes.
func (c *Classifier) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(w), crc: crc32.NewIEEE()}
	mw := modelWriter{w: cw}
	mw.bytes([]byte(modelMagic))
	mw.u32(modelVersion)
	mw.str(c.model)
	mw.str(c.segVersion)
	mw.uvarint(len(c.labels))
	for _, l := range c.labels {
		mw.str(l)
	}
	mw.uvarint(len(c.members))
	for _, m := range c.members {
		fs := m.features
		mw.f64(m.weight)
		mw.f64(m.c)
		mw.boolean(fs.sublinear)
		mw.uvarint(len(fs.blocks))
		for _, b := range fs.blocks {
			mw.bytes([]byte{byte(b.kind)})
			mw.uvarint(b.minN)
			mw.uvarint(b.maxN)
			mw.f64(b.weight)
			mw.uvarint(len(b.terms))
			for _, t := range b.terms {
				mw.str(t)
			}
		}
		for _, v := range fs.idf {
			mw.f64(v)
		}
		for _, v := range m.w {
			mw.f32(v)
		}
		for _, v := range m.b {
			mw.f32(v)
		}
	}
	if mw.err == nil {
		sum := cw.crc.Sum32()
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], sum)
		_, mw.err = cw.w.Write(buf[:])
		cw.n += 4
	}
	if mw.err == nil {
		mw.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, mw.err
}

// ReadClassifier reads a classifier written by WriteTo. seg must be the
// segmenter (same dictionaries) the model was trained with when it uses
// word features, else the error is ErrSegmenterMismatch; a character-only
// model ignores seg.
func ReadClassifier(r io.Reader, seg *Segmenter) (*Classifier, error) {
	mr := &modelReader{r: bufio.NewReader(r), crc: crc32.NewIEEE()}
	c, err := readModel(mr)
	if err == nil {
		want := mr.crc.Sum32()
		var buf [4]byte
		if _, err = io.ReadFull(mr.r, buf[:]); err == nil && binary.LittleEndian.Uint32(buf[:]) != want {
			err = errors.New("checksum mismatch")
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("nlu: read classifier: %w", err)
	}
	if c.usesWords {
		if seg == nil {
			return nil, fmt.Errorf("%w: model has word features, no segmenter given", ErrSegmenterMismatch)
		}
		if seg.Version() != c.segVersion {
			return nil, fmt.Errorf("%w: model: %s; given: %s", ErrSegmenterMismatch, c.segVersion, seg.Version())
		}
		c.seg = seg
	}
	c.init()
	return c, nil
}

func readModel(mr *modelReader) (*Classifier, error) {
	magic := mr.bytes(len(modelMagic))
	if mr.err == nil && string(magic) != modelMagic {
		return nil, errors.New("not a classifier file")
	}
	if v := mr.u32(); mr.err == nil && v != modelVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d", v, modelVersion)
	}
	c := &Classifier{model: mr.str(), segVersion: mr.str()}
	nl := mr.count()
	for range nl {
		c.labels = append(c.labels, mr.str())
	}
	if mr.err == nil && len(c.labels) < 2 {
		return nil, errors.New("fewer than 2 labels")
	}
	k := len(c.labels)
	nm := mr.count()
	for range nm {
		m := &member{weight: mr.f64(), c: mr.f64()}
		fs := &featureSet{sublinear: mr.boolean()}
		nb := mr.count()
		var first int
		for range nb {
			// One read per statement: fixed returns the reader's shared
			// buffer, and Go may index it only after every call of a
			// composite literal has run (and overwritten it).
			kind := blockKind(mr.fixed(1)[0])
			minN := mr.count()
			maxN := mr.count()
			b := block{kind: kind, minN: minN, maxN: maxN, weight: mr.f64(), first: int32(first)}
			if mr.err == nil && !validBlock(b) {
				return nil, fmt.Errorf("bad feature block (kind %d, n %d..%d)", b.kind, b.minN, b.maxN)
			}
			nt := mr.count()
			for range nt {
				b.terms = append(b.terms, mr.str())
			}
			first += len(b.terms)
			if mr.err != nil || first > maxModelCount/k {
				return nil, cmp2(mr.err, errors.New("too many features"))
			}
			fs.blocks = append(fs.blocks, b)
			c.usesWords = c.usesWords || b.kind.usesWords()
		}
		fs.idf = make([]float64, first)
		for i := range fs.idf {
			fs.idf[i] = mr.f64()
		}
		m.w = make([]float32, first*k)
		for i := range m.w {
			m.w[i] = mr.f32()
		}
		m.b = make([]float32, k)
		for i := range m.b {
			m.b[i] = mr.f32()
		}
		if mr.err != nil {
			return nil, mr.err
		}
		fs.rebuildVocab()
		m.features = fs
		c.members = append(c.members, m)
	}
	if mr.err == nil && len(c.members) == 0 {
		return nil, errors.New("no members")
	}
	return c, mr.err
}

// cmp2 returns a if it is not nil, else b.
func cmp2(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// countWriter counts and checksums what passes through it.
type countWriter struct {
	w   io.Writer
	crc hash.Hash32
	n   int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	cw.crc.Write(p)
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// modelWriter writes the fields of the format, keeping the first error.
type modelWriter struct {
	w   io.Writer
	err error
	buf [binary.MaxVarintLen64]byte
}

func (mw *modelWriter) bytes(p []byte) {
	if mw.err == nil {
		_, mw.err = mw.w.Write(p)
	}
}

func (mw *modelWriter) uvarint(v int) {
	n := binary.PutUvarint(mw.buf[:], uint64(v))
	mw.bytes(mw.buf[:n])
}

func (mw *modelWriter) str(s string) {
	mw.uvarint(len(s))
	mw.bytes([]byte(s))
}

func (mw *modelWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(mw.buf[:4], v)
	mw.bytes(mw.buf[:4])
}

func (mw *modelWriter) f32(v float32) { mw.u32(math.Float32bits(v)) }

func (mw *modelWriter) f64(v float64) {
	binary.LittleEndian.PutUint64(mw.buf[:8], math.Float64bits(v))
	mw.bytes(mw.buf[:8])
}

func (mw *modelWriter) boolean(v bool) {
	if v {
		mw.bytes([]byte{1})
	} else {
		mw.bytes([]byte{0})
	}
}

// modelReader reads the fields of the format, keeping the first error;
// after an error every read returns zero values.
type modelReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	err error
	buf [8]byte
}

func (mr *modelReader) bytes(n int) []byte {
	p := make([]byte, n)
	if mr.err != nil {
		return p
	}
	if _, mr.err = io.ReadFull(mr.r, p); mr.err == nil {
		mr.crc.Write(p)
	}
	return p
}

func (mr *modelReader) uvarint() uint64 {
	if mr.err != nil {
		return 0
	}
	var v uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := mr.r.ReadByte()
		if err != nil {
			mr.err = err
			return 0
		}
		mr.crc.Write([]byte{b})
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
		shift += 7
	}
	mr.err = errors.New("bad varint")
	return 0
}

// count reads a uvarint that sizes something.
func (mr *modelReader) count() int {
	v := mr.uvarint()
	if v > maxModelCount {
		if mr.err == nil {
			mr.err = fmt.Errorf("count %d too large", v)
		}
		return 0
	}
	return int(v)
}

func (mr *modelReader) str() string {
	n := mr.uvarint()
	if n > maxModelString {
		if mr.err == nil {
			mr.err = fmt.Errorf("string of %d bytes too long", n)
		}
		return ""
	}
	return string(mr.bytes(int(n)))
}

// fixed reads n ≤ 8 bytes into the reader's own buffer.
func (mr *modelReader) fixed(n int) []byte {
	p := mr.buf[:n]
	clear(p)
	if mr.err != nil {
		return p
	}
	if _, mr.err = io.ReadFull(mr.r, p); mr.err == nil {
		mr.crc.Write(p)
	}
	return p
}

func (mr *modelReader) u32() uint32 { return binary.LittleEndian.Uint32(mr.fixed(4)) }

func (mr *modelReader) f32() float32 { return math.Float32frombits(mr.u32()) }

func (mr *modelReader) f64() float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(mr.fixed(8)))
}

func (mr *modelReader) boolean() bool { return mr.fixed(1)[0] != 0 }

// validBlock reports whether a block read from a model file is one this
// build can compute.
func validBlock(b block) bool {
	switch b.kind {
	case blockWords:
		return true
	case blockChars, blockPinyin:
		return b.minN >= 1 && b.maxN >= b.minN && b.maxN <= 8
	}
	return false
}
