package appliance

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// operationsDoc is the operators' guide whose kioskd.toml table this file keeps true.
var operationsDoc = filepath.Join("..", "..", "docs", "operations.md")

// configKeys returns every TOML key of Config (dotted for the tables' keys) with the
// default Defaults gives it.
func configKeys() map[string]reflect.Value {
	keys := map[string]reflect.Value{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(prefix+tag+".", v.Field(i))
				continue
			}
			keys[prefix+tag] = v.Field(i)
		}
	}
	walk("", reflect.ValueOf(Defaults()))
	return keys
}

// docRow is a row of the doc's kioskd.toml table: | `key` | default | meaning |.
var docRow = regexp.MustCompile("^\\| `([a-z0-9_.]+)` \\| ([^|]*) \\|")

// docKeys returns the rows of the table under the heading "kioskd.toml, every key":
// each key with its default cell.
func docKeys(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "kioskd.toml, every key\n")
	if !ok {
		t.Fatalf("%s has no section \"kioskd.toml, every key\"", operationsDoc)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		m := docRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, dup := rows[m[1]]; dup {
			t.Errorf("%s: key %s is in the table twice", operationsDoc, m[1])
		}
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	return rows
}

// TestOperationsDocHasEveryKey fails when a key of kioskd.toml (Config's toml tags) is
// missing from the table of docs/operations.md, when the table names a key kioskd does
// not take, or when its default is not the one Defaults sets: the cell is a TOML value
// in backquotes, or "none" where Defaults leaves the key at its zero value.
func TestOperationsDocHasEveryKey(t *testing.T) {
	want := configKeys()
	got := docKeys(t)
	var names []string
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		cell, ok := got[k]
		if !ok {
			t.Errorf("%s: the kioskd.toml table has no row for %s", operationsDoc, k)
			continue
		}
		def := want[k]
		if cell == "none" {
			if !def.IsZero() {
				t.Errorf("%s: %s: the table says no default, Defaults sets %#v", operationsDoc, k, def.Interface())
			}
			continue
		}
		lit, ok := strings.CutPrefix(cell, "`")
		lit, ok2 := strings.CutSuffix(lit, "`")
		if !ok || !ok2 {
			t.Errorf("%s: %s: the default %q is not a TOML value in backquotes", operationsDoc, k, cell)
			continue
		}
		v := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "V", Type: def.Type(), Tag: `toml:"v"`}}))
		if err := toml.Unmarshal([]byte("v = "+lit), v.Interface()); err != nil {
			t.Errorf("%s: %s: the default %s does not parse: %v", operationsDoc, k, lit, err)
			continue
		}
		if parsed := v.Elem().Field(0).Interface(); !reflect.DeepEqual(parsed, def.Interface()) {
			t.Errorf("%s: %s: the table says the default is %s, Defaults sets %#v", operationsDoc, k, lit, def.Interface())
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: the kioskd.toml table has %s, which kioskd does not take", operationsDoc, k)
		}
	}
}

// TestShippedConfigKeys checks that the example configuration the package installs uses
// only keys kioskd takes (its values are placeholders to be set, so it is not checked).
func TestShippedConfigKeys(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "packaging", "kioskd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&cfg); err != nil {
		t.Fatalf("packaging/kioskd.toml: %v", err)
	}
}
