package knowledge

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestZZTune(t *testing.T) {
	if os.Getenv("KB_TUNE") == "" {
		t.Skip()
	}
	b := openTest(t, realEntries(t), Config{})
	para, _ := readEval(t, "paraphrase.tsv")
	oos, _ := readEval(t, "out_of_scope.tsv")
	type ranked struct {
		want   string
		ids    []string
		c1, c2 float64
	}
	var rs []ranked
	r1, r3 := 0, 0
	for _, r := range append(para, oos...) {
		res, err := b.Search(context.Background(), r.query, SearchOptions{Limit: 30})
		if err != nil {
			t.Fatal(err)
		}
		x := ranked{want: r.want}
		for k, h := range res.Hits {
			x.ids = append(x.ids, h.Entry.ID)
			if k == 0 {
				x.c1 = h.Confidence
			}
			if k == 1 {
				x.c2 = h.Confidence
			}
			if h.Entry.ID == r.want {
				if k == 0 {
					r1++
				}
				if k < 3 {
					r3++
				}
			}
		}
		rs = append(rs, x)
	}
	type out struct {
		v    float64
		desc string
	}
	var outs []out
	for th := 0.3; th < 0.9; th += 0.02 {
		for m := 0.0; m < 0.3; m += 0.02 {
			for cl := 0.1; cl < th; cl += 0.02 {
				right, wrong, fa, clR, clOOS := 0, 0, 0, 0, 0
				for _, r := range rs {
					if len(r.ids) == 0 {
						continue
					}
					in3 := false
					for k := 0; k < 3 && k < len(r.ids); k++ {
						in3 = in3 || r.ids[k] == r.want
					}
					switch {
					case r.c1 >= th && r.c1-r.c2 >= m*ratioScale(r.c1):
						if r.want == "none" {
							fa++
						} else if r.ids[0] == r.want {
							right++
						} else {
							wrong++
						}
					case r.c1 >= cl && r.c2 >= cl && r.c1-r.c2 < m*ratioScale(r.c1):
						if r.want == "none" {
							clOOS++
						} else if in3 {
							clR++
						}
					}
				}
				if os.Getenv("KB_GRID") != "" && cl > 0.235 && cl < 0.245 && int(th*100+0.5)%4 == 0 && int(m*100+0.5)%4 == 0 && th >= 0.38 && th <= 0.62 && m >= 0.12 {
					t.Logf("GRID th %.2f m %.2f: right %d wrong %d fa %d clR %d clOOS %d", th, m, right, wrong, fa, clR, clOOS)
				}
				if fa > 1 || wrong > 3 || clOOS > 5 {
					continue
				}
				v := float64(right) + 0.5*float64(clR)
				outs = append(outs, out{v, fmt.Sprintf("th %.2f m %.2f cl %.2f right %d wrong %d fa %d clR %d clOOS %d", th, m, cl, right, wrong, fa, clR, clOOS)})
			}
		}
	}
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].v > outs[j].v })
	t.Logf("R@1 %.3f R@3 %.3f", float64(r1)/120, float64(r3)/120)
	for _, o := range outs[:min(30, len(outs))] {
		t.Logf("v %.1f %s", o.v, o.desc)
	}
}

func ratioScale(c float64) float64 {
	if os.Getenv("KB_RATIO") != "" {
		return c * 2
	}
	return 1
}
