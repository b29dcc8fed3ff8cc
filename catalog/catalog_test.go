package catalog

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

const testHash = "$2a$10$abcdefghijklmnopqrstuuJ3a1Kk0tGxzxqL0JXzJ8L9JvYz2o1e" // shape of a bcrypt hash

func sampleConfig() *DeviceConfig {
	start := time.Date(2027, 3, 14, 19, 0, 0, 0, time.UTC)
	return &DeviceConfig{
		Version:  3,
		DeviceID: "k1",
		IssuedAt: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		Outlet:   Outlet{ID: "sofia-1", Name: "Книжарница Славейков", Delivery: DeliveryPrint, Locale: LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []Event{{
			ID: "e1", Title: "Лятно кино", Venue: "НДК", Start: start,
			Types: []TicketType{{ID: "std", Name: "Стандартен", Price: 1250}, {ID: "kid", Name: "Детски", Price: 600}},
		}},
		Allot: map[string]map[string]int64{"e1": {"std": 100}},
		Users: []User{
			{Email: "ana@example.org", Code: "1001", Role: RoleSupervisor, Outlet: "sofia-1", PasswordHash: testHash},
			{Email: "bob@example.org", Code: "1002", Role: RoleCashier, Outlet: "sofia-1", PasswordHash: testHash, CreatedBy: "ana@example.org"},
		},
	}
}

func TestValidConfig(t *testing.T) {
	if err := sampleConfig().Validate().Err(); err != nil {
		t.Fatalf("sample config: %v", err)
	}
}

func TestValidationProblems(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *DeviceConfig)
		want   string
	}{
		{"empty outlet name", func(c *DeviceConfig) { c.Outlet.Name = " " }, "outlet sofia-1: name is empty"},
		{"bad delivery", func(c *DeviceConfig) { c.Outlet.Delivery = "fax" }, `delivery "fax"`},
		{"bad locale", func(c *DeviceConfig) { c.Outlet.Locale = "de" }, `locale "de"`},
		{"bad currency", func(c *DeviceConfig) { c.Outlet.Currency = "eur" }, "currency"},
		{"bad time zone", func(c *DeviceConfig) { c.Outlet.TimeZone = "Mars/Base" }, `time zone "Mars/Base" is unknown`},
		{"bad outlet id", func(c *DeviceConfig) { c.Outlet.ID = "a b" }, "may hold only"},
		{"negative price", func(c *DeviceConfig) { c.Events[0].Types[0].Price = -1 }, "price -1 is negative"},
		{"absurd price", func(c *DeviceConfig) { c.Events[0].Types[0].Price = MaxPrice + 1 }, "above the limit"},
		{"duplicate type", func(c *DeviceConfig) { c.Events[0].Types[1].ID = "std" }, "duplicate ticket type id"},
		{"no types", func(c *DeviceConfig) { c.Events[0].Types = nil; c.Allot = nil }, "has no ticket types"},
		{"duplicate event", func(c *DeviceConfig) { c.Events = append(c.Events, c.Events[0]) }, "duplicate event id"},
		{"empty title", func(c *DeviceConfig) { c.Events[0].Title = "" }, "title is empty"},
		{"no start", func(c *DeviceConfig) { c.Events[0].Start = time.Time{} }, "start time is missing"},
		{"window reversed", func(c *DeviceConfig) {
			c.Events[0].SaleFrom = c.Events[0].Start.Add(-time.Hour)
			c.Events[0].SaleTo = c.Events[0].Start.Add(-2 * time.Hour)
		}, "sale window ends"},
		{"allot unknown event", func(c *DeviceConfig) { c.Allot["e9"] = map[string]int64{"std": 1} }, "unknown event e9"},
		{"allot unknown type", func(c *DeviceConfig) { c.Allot["e1"]["vip"] = 1 }, "unknown ticket type vip"},
		{"allot negative", func(c *DeviceConfig) { c.Allot["e1"]["std"] = -5 }, "outside"},
		{"bad email", func(c *DeviceConfig) { c.Users[1].Email = "bob at example" }, "is not an email address"},
		{"email without domain dot", func(c *DeviceConfig) { c.Users[1].Email = "bob@localhost" }, "no valid domain"},
		{"duplicate email", func(c *DeviceConfig) { c.Users[1].Email = "ANA@example.org"; c.Users[1].CreatedBy = "" }, "duplicate email"},
		{"duplicate code", func(c *DeviceConfig) { c.Users[1].Code = "1001" }, "kiosk code 1001 is already used by ana@example.org"},
		{"short code", func(c *DeviceConfig) { c.Users[1].Code = "12" }, "4 to 8 digits"},
		{"letters in code", func(c *DeviceConfig) { c.Users[1].Code = "12ab" }, "only digits"},
		{"unknown role", func(c *DeviceConfig) { c.Users[1].Role = "boss" }, `role "boss"`},
		{"no hash", func(c *DeviceConfig) { c.Users[1].PasswordHash = "secret" }, "not a bcrypt hash"},
		{"unknown creator", func(c *DeviceConfig) { c.Users[1].CreatedBy = "zed@example.org" }, "created by unknown user"},
		{"cashier creator", func(c *DeviceConfig) {
			c.Users[0].CreatedBy = "bob@example.org"
		}, "who is not a supervisor"},
		{"other outlet user", func(c *DeviceConfig) { c.Users[0].Outlet = "varna"; c.Users[1].CreatedBy = "" }, "belongs to outlet varna"},
		{"version zero", func(c *DeviceConfig) { c.Version = 0 }, "version must be at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleConfig()
			tc.change(c)
			err := c.Validate().Err()
			if err == nil {
				t.Fatalf("no problem found, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("problems %q do not mention %q", err, tc.want)
			}
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	c := sampleConfig()
	c.Outlet.Name = ""
	c.Events[0].Types[0].Price = -3
	c.Users[1].Email = "nope"
	ps := c.Validate()
	if len(ps) < 3 {
		t.Fatalf("got %d problems (%v), want at least 3", len(ps), ps)
	}
}

func TestCreatorCycle(t *testing.T) {
	c := sampleConfig()
	c.Users[1].Role = RoleSupervisor
	c.Users[0].CreatedBy = "bob@example.org"
	if err := c.Validate().Err(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("want a cycle problem, got %v", err)
	}
}

func TestOnSale(t *testing.T) {
	start := time.Date(2027, 1, 10, 20, 0, 0, 0, time.UTC)
	e := Event{Start: start, SaleFrom: start.Add(-48 * time.Hour)}
	cases := []struct {
		at   time.Time
		want bool
	}{
		{start.Add(-49 * time.Hour), false},
		{start.Add(-48 * time.Hour), true},
		{start.Add(-time.Minute), true},
		{start, false},
	}
	for _, c := range cases {
		if got := e.OnSale(c.at); got != c.want {
			t.Errorf("OnSale(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	e.SaleTo = start.Add(time.Hour) // door sales
	if !e.OnSale(start.Add(30 * time.Minute)) {
		t.Error("explicit sale end after the start is not honoured")
	}
}

func testKeys(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "hub key seed for tests only.....")
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

func TestSignOpen(t *testing.T) {
	pub, priv := testKeys(t)
	cfg := sampleConfig()
	data, err := Sign(cfg, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(data, pub, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || got.Outlet.Name != cfg.Outlet.Name || len(got.Users) != 2 || got.Allot["e1"]["std"] != 100 {
		t.Fatalf("opened config differs: %+v", got)
	}
}

func TestOpenRefusals(t *testing.T) {
	pub, priv := testKeys(t)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	good, err := Sign(sampleConfig(), priv)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := Sign(sampleConfig(), otherPriv)
	tamper := func(f func(s string) string) []byte { return []byte(f(string(good))) }
	cases := []struct {
		name string
		data []byte
		dev  string
		want error
	}{
		{"forged", forged, "k1", ErrBadSignature},
		{"other device", good, "k2", ErrWrongDevice},
		{"not json", []byte("{"), "k1", ErrMalformed},
		{"empty", nil, "k1", ErrMalformed},
		{"version 2", tamper(func(s string) string { return strings.Replace(s, `"v":1`, `"v":2`, 1) }), "k1", ErrUnknownVersion},
		{"tampered binding", tamper(func(s string) string { return strings.Replace(s, `"version":3`, `"version":4`, 1) }), "k1", ErrBadSignature},
		{"tampered body", tamper(func(s string) string { return strings.Replace(s, `"price":1250`, `"price":1`, 1) }), "k1", ErrBadSignature},
		{"too large", make([]byte, MaxEnvelopeSize+1), "k1", ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.data, pub, tc.dev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignRefusesInvalid(t *testing.T) {
	_, priv := testKeys(t)
	c := sampleConfig()
	c.Outlet.Currency = ""
	if _, err := Sign(c, priv); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Sign of an invalid config: %v, want ErrInvalid", err)
	}
}

func TestInnerBindingMismatch(t *testing.T) {
	// A hub bug that signs a body for one device under another's binding must not pass.
	pub, priv := testKeys(t)
	c := sampleConfig()
	body := `{"version":3,"device_id":"k9"}`
	env := Envelope{V: 1, DeviceID: "k1", OutletID: c.Outlet.ID, Version: 3, IssuedAt: c.IssuedAt.Unix(), Config: []byte(body)}
	env.Sig = ed25519.Sign(priv, env.signedBytes())
	data, _ := jsonMarshal(&env)
	if _, err := Open(data, pub, "k1"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open: %v, want ErrMalformed", err)
	}
}

func FuzzOpen(f *testing.F) {
	pub, priv := testKeys(f)
	good, _ := Sign(sampleConfig(), priv)
	f.Add(good)
	f.Add([]byte(`{"v":1,"device_id":"k1","config":{},"sig":"AAAA"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"v":1,"config":[1,2,3]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Open(data, pub, "k1")
		if err == nil {
			// Whatever opens must be bound to this device and valid.
			if cfg.DeviceID != "k1" || cfg.Validate().Err() != nil {
				t.Fatalf("opened an unbound or invalid config: %+v", cfg)
			}
		}
	})
}
