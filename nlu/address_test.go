package nlu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractAddresses(t *testing.T) {
	t.Parallel()
	a := func(span string) want { return want{EntityAddress, span, span} }
	only := []string{EntityAddress}
	runEntityCases(t, []entityCase{
		// Gazetteer names and what follows them.
		{text: "青山区建设路18号幸福小区3栋2单元502室", want: []want{a("青山区建设路18号幸福小区3栋2单元502室")}, only: only},
		{text: "😀我住在青山区建设路18号幸福小区3栋2单元502室，漏水", want: []want{a("青山区建设路18号幸福小区3栋2单元502室")}, only: only},
		{text: "我是临江区江畔花园的业主", want: []want{a("临江区江畔花园")}, only: only},
		{text: "南湖区一家工厂", want: []want{a("南湖区")}, only: only},
		{text: "滨海新区港口街道", want: []want{a("滨海新区港口街道")}, only: only},
		{text: "高新技术产业开发区科技城街道创新大道8号", want: []want{a("高新技术产业开发区科技城街道创新大道8号")}, only: only},
		{text: "我在滨江镇", want: []want{a("滨江镇")}, only: only},
		{text: "临江小区停电了", want: []want{a("临江小区")}, only: only},
		{text: "临江大桥上有铁板", want: []want{a("临江大桥")}, only: only},
		{text: "我在青山这边", want: []want{a("青山")}, only: only},
		{text: "南湖附近有人钓鱼", want: []want{a("南湖")}, only: only},
		{text: "东湖。", want: []want{a("东湖")}, only: only},
		{text: "青山绿水", want: nil, only: only},
		// Generic shapes without a known district.
		{text: "和平路与建设路交叉口的路面塌陷", want: []want{a("和平路"), a("建设路")}, only: only},
		{text: "人民大道路口", want: []want{a("人民大道")}, only: only},
		{text: "我家住解放北路25号", want: []want{a("解放北路25号")}, only: only},
		{text: "中山一路18-2号门口", want: []want{a("中山一路18-2号")}, only: only},
		{text: "市民反映建设路路灯坏了", want: []want{a("建设路")}, only: only},
		{text: "在幸福小区5号楼3单元", want: []want{a("幸福小区5号楼3单元")}, only: only},
		{text: "阳光花园3-2-502", want: []want{a("阳光花园3-2-502")}, only: only},
		{text: "锦绣家园B座1203室有人", want: []want{a("锦绣家园B座1203室")}, only: only},
		{text: "张家村村口", want: []want{a("张家村")}, only: only},
		{text: "北京东路胡同里", want: []want{a("北京东路")}, only: only},
		{text: "南锣鼓巷", want: []want{a("南锣鼓巷")}, only: only},
		{text: "3栋2单元502室漏水", want: []want{a("3栋2单元502室")}, only: only},
		{text: "5号楼下面", want: []want{a("5号楼")}, only: only},
		// Where an address stops.
		{text: "建设路18号的井盖不见了", want: []want{a("建设路18号")}, only: only},
		{text: "幸福小区旁边有个工地", want: []want{a("幸福小区")}, only: only},
		{text: "幸福小区有人打架", want: []want{a("幸福小区")}, only: only},
		{text: "幸福小区在哪", want: []want{a("幸福小区")}, only: only},
		// Everyday words that look like addresses.
		{text: "我每天走路上班", want: nil, only: only},
		{text: "过马路很危险", want: nil, only: only},
		{text: "我们小区停水了", want: nil, only: only},
		{text: "隔壁小区在装修", want: nil, only: only},
		{text: "我要投诉小区物业乱收停车费", want: nil, only: only},
		{text: "想反映小区门口的路灯坏了", want: nil, only: only},
		{text: "农村户口", want: nil, only: only},
		{text: "周末去逛街", want: nil, only: only},
		{text: "临街的店铺", want: nil, only: only},
		{text: "这条路太堵", want: nil, only: only},
		{text: "路面塌陷了", want: nil, only: only},
		{text: "数学第三单元", want: nil, only: only},
		{text: "3楼", want: nil, only: only},
		{text: "18号来办", want: nil, only: only},
	})
}

func TestLoadDistricts(t *testing.T) {
	t.Parallel()
	ds, err := LoadDistricts("../kb-data/nlu/districts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 8 {
		t.Fatalf("%d districts, want at least 8", len(ds))
	}
	for _, d := range ds {
		if len(d.Aliases) == 0 || len(d.Streets) < 4 || len(d.Streets) > 8 {
			t.Errorf("%s: %d aliases, %d streets; want aliases and 4–8 streets", d.Name, len(d.Aliases), len(d.Streets))
		}
	}
}

func TestLoadDistrictsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data, want string
	}{
		{"not yaml", "districts: [", "bad.yaml"},
		{"no key", "cities: []\n", "bad.yaml:1: missing key \"districts\""},
		{"unknown key", "districts:\n  - name: 青山区\n    alias: [青山]\n", "bad.yaml:3: unknown key \"alias\""},
		{"no name", "districts:\n  - aliases: [青山]\n", "bad.yaml:2: district without a name"},
		{"duplicate", "districts:\n  - name: 青山区\n    aliases: [青山]\n  - name: 南湖区\n    aliases: [青山]\n", "bad.yaml:4: \"青山\" already listed at line 2"},
		{"empty list", "districts: []\n", "bad.yaml:1: no districts"},
		{"spaces", "districts:\n  - name: 青山 区\n", "bad.yaml:2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".yaml")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadDistricts(path)
			if err == nil {
				t.Fatalf("no error for %q", tc.data)
			}
			msg := strings.ReplaceAll(err.Error(), path, "bad.yaml")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
	if _, err := LoadDistricts(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestExtractorWithoutGazetteer(t *testing.T) {
	t.Parallel()
	x := NewExtractor(nil)
	got := x.Extract("青山区建设路18号", testNow)
	if len(got) != 1 || got[0].Value != "建设路18号" {
		t.Errorf("got %v, want the generic 建设路18号", got)
	}
}
