package translit

import "testing"

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"София", "Sofia"},
		{"Щастие", "Shtastie"},
		{"ЩАСТИЕ", "SHTASTIE"},
		{"Жълт билет", "Zhalt bilet"},
		{"Цена: 12,50 €", "Tsena: 12,50 EUR"},
		{"Юлия", "Yulia"},
		{"Концерт „Зима“ №3", "Kontsert \"Zima\" No3"},
		{"plain ASCII 123", "plain ASCII 123"},
		{"Ж", "Zh"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRuneUnknown(t *testing.T) {
	if _, ok := Rune('x'); ok {
		t.Error("Rune('x') reported a transliteration")
	}
	if _, ok := Rune('中'); ok {
		t.Error("Rune('中') reported a transliteration")
	}
}
