package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const ctx = "webhooks.secret_key"

// fixedKey returns a deterministic 32-byte key filled with b.
func fixedKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustKeyring(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

func mustSeal(t testing.TB, kr *Keyring, pt []byte, context string) Sealed {
	t.Helper()
	s, err := kr.Seal(pt, context)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeyring(t, Key{Raw: fixedKey(1)})
	tests := []struct {
		name      string
		plaintext []byte
		context   string
	}{
		{"empty", nil, ctx},
		{"short", []byte("hunter2"), "ldap.bind_password"},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}, "totp.secret"},
		{"large", bytes.Repeat([]byte("k"), 64<<10), "tls.private_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSeal(t, kr, tt.plaintext, tt.context)
			id := kr.PrimaryID()
			if s[0] != version || int(s[1]) != len(id) || string(s[2:2+len(id)]) != id {
				t.Fatalf("header = % x, want version %d and key id %q", s[:2+len(id)], version, id)
			}
			if want := 2 + len(id) + nonceSize + len(tt.plaintext) + tagSize; len(s) != want {
				t.Fatalf("len = %d, want %d", len(s), want)
			}
			got, err := kr.Open(s, tt.context)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tt.plaintext)
			}
			if again := mustSeal(t, kr, tt.plaintext, tt.context); bytes.Equal(again, s) {
				t.Fatal("two seals of the same plaintext are identical; nonce not random")
			}
		})
	}
}

func TestKeyID(t *testing.T) {
	id := KeyID(fixedKey(1))
	if len(id) != 8 {
		t.Fatalf("KeyID = %q, want 8 hex characters", id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		t.Fatalf("KeyID = %q is not hex", id)
	}
	if got := mustKeyring(t, Key{Raw: fixedKey(1)}).PrimaryID(); got != id {
		t.Fatalf("PrimaryID = %q, want derived %q", got, id)
	}
}

func TestOpenFailures(t *testing.T) {
	kr := mustKeyring(t, Key{ID: "a", Raw: fixedKey(1)}, Key{ID: "b", Raw: fixedKey(1)})
	pt := []byte("correct horse battery staple")
	sealed := mustSeal(t, kr, pt, ctx) // layout: 01 01 'a' nonce(12) body(len(pt)) tag(16)
	const idAt, nonceAt, bodyAt = 2, 3, 3 + nonceSize
	tagAt := bodyAt + len(pt)

	flip := func(i int) func(Sealed) Sealed {
		return func(s Sealed) Sealed { s[i] ^= 0x01; return s }
	}
	set := func(i int, b byte) func(Sealed) Sealed {
		return func(s Sealed) Sealed { s[i] = b; return s }
	}
	tests := []struct {
		name    string
		kr      *Keyring
		mutate  func(Sealed) Sealed
		context string
		want    error
	}{
		{"other keyring, derived id", mustKeyring(t, Key{Raw: fixedKey(2)}), nil, ctx, ErrUnknownKey},
		{"same id, wrong key", mustKeyring(t, Key{ID: "a", Raw: fixedKey(2)}), nil, ctx, ErrDecrypt},
		{"wrong context", kr, nil, "ldap.bind_password", ErrDecrypt},
		{"empty context", kr, nil, "", ErrNoContext},
		{"flipped nonce", kr, flip(nonceAt), ctx, ErrDecrypt},
		{"flipped last nonce byte", kr, flip(bodyAt - 1), ctx, ErrDecrypt},
		{"flipped body", kr, flip(bodyAt), ctx, ErrDecrypt},
		{"flipped tag", kr, flip(tagAt), ctx, ErrDecrypt},
		{"flipped last tag byte", kr, flip(len(sealed) - 1), ctx, ErrDecrypt},
		{"key id to unknown", kr, set(idAt, 'z'), ctx, ErrUnknownKey},
		{"key id to other key with same material", kr, set(idAt, 'b'), ctx, ErrDecrypt},
		{"key id to invalid byte", kr, set(idAt, 0), ctx, ErrMalformed},
		{"key id length zero", kr, set(1, 0), ctx, ErrMalformed},
		{"key id length too long", kr, set(1, 200), ctx, ErrMalformed},
		{"unknown version", kr, set(0, 2), ctx, ErrMalformed},
		{"truncated", kr, func(s Sealed) Sealed { return s[:bodyAt+tagSize-1] }, ctx, ErrMalformed},
		{"truncated by one", kr, func(s Sealed) Sealed { return s[:len(s)-1] }, ctx, ErrDecrypt},
		{"appended byte", kr, func(s Sealed) Sealed { return append(s, 0) }, ctx, ErrDecrypt},
		{"empty", kr, func(Sealed) Sealed { return nil }, ctx, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bytes.Clone(sealed)
			if tt.mutate != nil {
				s = tt.mutate(s)
			}
			got, err := tt.kr.Open(s, tt.context)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatalf("Open returned plaintext %q on error", got)
			}
		})
	}
}

func TestSealRejectsEmptyContext(t *testing.T) {
	kr := mustKeyring(t, Key{Raw: fixedKey(1)})
	if _, err := kr.Seal([]byte("x"), ""); !errors.Is(err, ErrNoContext) {
		t.Fatalf("Seal error = %v, want %v", err, ErrNoContext)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := Key{ID: "old", Raw: fixedKey(1)}, Key{ID: "new", Raw: fixedKey(2)}
	oldOnly := mustKeyring(t, oldKey)
	both := mustKeyring(t, newKey, oldKey)
	newOnly := mustKeyring(t, newKey)
	pt := []byte("erp-api-password")

	underOld := mustSeal(t, oldOnly, pt, ctx)
	underNew := mustSeal(t, both, pt, ctx)

	tests := []struct {
		name       string
		sealed     Sealed
		needsRot   bool
		wantSameCT bool
	}{
		{"sealed under old key", underOld, true, false},
		{"sealed under primary", underNew, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := both.Open(tt.sealed, ctx); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("Open = %q, %v; want %q", got, err, pt)
			}
			if got := both.NeedsRotation(tt.sealed); got != tt.needsRot {
				t.Fatalf("NeedsRotation = %v, want %v", got, tt.needsRot)
			}
			rotated, err := both.Rotate(tt.sealed, ctx)
			if err != nil {
				t.Fatalf("Rotate: %v", err)
			}
			if same := bytes.Equal(rotated, tt.sealed); same != tt.wantSameCT {
				t.Fatalf("Rotate returned same ciphertext = %v, want %v", same, tt.wantSameCT)
			}
			if both.NeedsRotation(rotated) {
				t.Fatal("NeedsRotation(rotated) = true")
			}
			if got, err := newOnly.Open(rotated, ctx); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("new-only keyring Open(rotated) = %q, %v; want %q", got, err, pt)
			}
			if _, err := both.Rotate(tt.sealed, "other.column"); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Rotate with wrong context error = %v, want %v", err, ErrDecrypt)
			}
		})
	}

	if _, err := newOnly.Open(underOld, ctx); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("new-only keyring Open(old) error = %v, want %v", err, ErrUnknownKey)
	}
	if !newOnly.NeedsRotation(underOld) {
		t.Fatal("NeedsRotation under an unknown key = false, want true")
	}
	if newOnly.NeedsRotation(Sealed("garbage")) {
		t.Fatal("NeedsRotation(malformed) = true, want false")
	}
}

func TestLoadGeneratesAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	first, err := Load("", dir)
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode = %#o, want 0600", perm)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("data dir stat = %v, %v; want mode 0700", di, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s", len(entries), KeyFileName)
	}

	second, err := Load("", dir)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if first.PrimaryID() != second.PrimaryID() {
		t.Fatalf("primary ids differ: %q then %q", first.PrimaryID(), second.PrimaryID())
	}
	if got, err := second.Open(mustSeal(t, first, []byte("v"), ctx), ctx); err != nil || string(got) != "v" {
		t.Fatalf("second keyring cannot open first's value: %q, %v", got, err)
	}
}

func TestLoadConcurrentCreation(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, err := Load("", dir)
			errs[i] = err
			if err == nil {
				ids[i] = kr.PrimaryID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Load %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("Load %d got key %q, Load 0 got %q", i, ids[i], ids[0])
		}
	}
}

func TestLoadFilePermissions(t *testing.T) {
	content := base64.StdEncoding.EncodeToString(fixedKey(7)) + "\n"
	tests := []struct {
		mode os.FileMode
		want error
	}{
		{0o600, nil},
		{0o400, nil},
		{0o644, ErrInsecureKeyFile},
		{0o640, ErrInsecureKeyFile},
		{0o604, ErrInsecureKeyFile},
		{0o666, ErrInsecureKeyFile},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%#o", tt.mode), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFileName)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			kr, err := Load("", dir)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load error = %v, want %v", err, tt.want)
			}
			if tt.want == nil && kr.PrimaryID() != KeyID(fixedKey(7)) {
				t.Fatalf("loaded key %q, want %q", kr.PrimaryID(), KeyID(fixedKey(7)))
			}
			if tt.want != nil && !strings.Contains(err.Error(), "0600") {
				t.Fatalf("error %q does not say the required mode", err)
			}
		})
	}
}

func TestLoadEnv(t *testing.T) {
	k1, k2 := fixedKey(0xfb), fixedKey(2) // 0xfb bytes encode with '+' and '/' in std base64
	std := base64.StdEncoding.EncodeToString(k1)
	url := base64.URLEncoding.EncodeToString(k1)
	raw := base64.RawURLEncoding.EncodeToString(k1)
	other := base64.StdEncoding.EncodeToString(k2)
	short := base64.StdEncoding.EncodeToString(k1[:16])

	tests := []struct {
		name        string
		env         string
		wantPrimary string
		wantKeys    int
		wantErr     error
	}{
		{"std base64", std, KeyID(k1), 1, nil},
		{"url base64", url, KeyID(k1), 1, nil},
		{"unpadded url base64", raw, KeyID(k1), 1, nil},
		{"explicit id", "2025-01:" + std, "2025-01", 1, nil},
		{"two keys, first primary", "new:" + other + ",old:" + std, "new", 2, nil},
		{"spaces and trailing comma", " " + other + " , " + std + ",\n", KeyID(k2), 2, nil},
		{"bad base64", "not*base64!", "", 0, ErrInvalidKey},
		{"wrong length", short, "", 0, ErrInvalidKey},
		{"duplicate explicit id", "a:" + std + ",a:" + other, "", 0, ErrInvalidKey},
		{"duplicate derived id", std + "," + url, "", 0, ErrInvalidKey},
		{"empty id", ":" + std, "", 0, ErrInvalidKey},
		{"invalid id", "bad/id:" + std, "", 0, ErrInvalidKey},
		{"only separators", " , ", "", 0, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr, err := Load(tt.env, dir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				for _, enc := range []string{std, url, raw, other} {
					if strings.Contains(err.Error(), enc) {
						t.Fatalf("error %q contains key material", err)
					}
				}
				return
			}
			if kr.PrimaryID() != tt.wantPrimary {
				t.Fatalf("PrimaryID = %q, want %q", kr.PrimaryID(), tt.wantPrimary)
			}
			if len(kr.byID) != tt.wantKeys {
				t.Fatalf("keyring holds %d keys, want %d", len(kr.byID), tt.wantKeys)
			}
			if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
				t.Fatalf("Load with env touched the key file: %v", err)
			}
		})
	}
}

func TestSealedValueScan(t *testing.T) {
	data := []byte{1, 2, 3}
	tests := []struct {
		name    string
		src     any
		want    Sealed
		wantErr bool
	}{
		{"bytes", data, Sealed(data), false},
		{"string", string(data), Sealed(data), false},
		{"nil", nil, nil, false},
		{"int", 42, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sealed
			err := s.Scan(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scan error = %v, wantErr %v", err, tt.wantErr)
			}
			if !bytes.Equal(s, tt.want) {
				t.Fatalf("Scan = %v, want %v", []byte(s), []byte(tt.want))
			}
			v, err := s.Value()
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			if len(tt.want) == 0 {
				if v != nil {
					t.Fatalf("Value of empty = %#v, want nil (NULL)", v)
				}
				return
			}
			if b, ok := v.([]byte); !ok || !bytes.Equal(b, tt.want) {
				t.Fatalf("Value = %#v, want []byte %v", v, []byte(tt.want))
			}
		})
	}

	t.Run("scan copies", func(t *testing.T) {
		buf := []byte{9, 9, 9}
		var s Sealed
		if err := s.Scan(buf); err != nil {
			t.Fatal(err)
		}
		buf[0] = 0
		if s[0] != 9 {
			t.Fatal("Scan aliases the driver's buffer")
		}
	})

	t.Run("sealed round trip", func(t *testing.T) {
		kr := mustKeyring(t, Key{Raw: fixedKey(1)})
		orig := mustSeal(t, kr, []byte("totp"), "users.totp_secret")
		v, _ := orig.Value()
		var back Sealed
		if err := back.Scan(v); err != nil {
			t.Fatal(err)
		}
		if got, err := kr.Open(back, "users.totp_secret"); err != nil || string(got) != "totp" {
			t.Fatalf("Open after Value/Scan = %q, %v", got, err)
		}
	})
}

func TestSealedDoesNotLeak(t *testing.T) {
	secret := Sealed("TOPSECRETBYTES")
	forbidden := []string{
		string(secret),
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret),
		fmt.Sprint([]byte(secret)),
	}
	jsonOut, err := json.Marshal(struct {
		Key Sealed `json:"key"`
	}{secret})
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "key", secret)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "key", secret)

	outputs := map[string]string{
		"String":   secret.String(),
		"json":     string(jsonOut),
		"slogText": text.String(),
		"slogJSON": js.String(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
		outputs[verb] = fmt.Sprintf(verb, secret)
		outputs["struct "+verb] = fmt.Sprintf(verb, struct{ K Sealed }{secret})
	}
	for name, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("%s output %q reveals the sealed bytes", name, out)
			}
		}
	}
	if !strings.Contains(string(jsonOut), `"[sealed]"`) {
		t.Errorf("json = %s, want redacted value", jsonOut)
	}

	var in struct{ Key Sealed }
	if err := json.Unmarshal([]byte(`{"Key":"AQIDBA=="}`), &in); err == nil {
		t.Errorf("json.Unmarshal into Sealed succeeded: %v", []byte(in.Key))
	}
	if err := json.Unmarshal([]byte(`{"Key":null}`), &in); err != nil {
		t.Errorf("json.Unmarshal null: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	kr := mustKeyring(f, Key{ID: "a", Raw: fixedKey(1)}, Key{Raw: fixedKey(2)})
	for _, pt := range []string{"", "x", "a longer plaintext value"} {
		f.Add([]byte(mustSeal(f, kr, []byte(pt), ctx)))
	}
	f.Add([]byte{})
	f.Add([]byte{version})
	f.Add([]byte{version, 255})
	f.Add([]byte{version, 1, 'a'})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Sealed(data)
		_ = kr.NeedsRotation(s)
		pt, err := kr.Open(s, ctx)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if _, err := kr.Rotate(s, ctx); err != nil {
			t.Fatalf("Rotate of an openable value: %v", err)
		}
	})
}

func TestDerive(t *testing.T) {
	a, b := GenerateKey(), GenerateKey()
	k1, err := NewKeyring(Key{Raw: a})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := NewKeyring(Key{Raw: b}, Key{Raw: a})
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := k1.Derive("cookie-hmac"), k2.Derive("cookie-hmac")
	if len(d1) != 1 || len(d2) != 2 || len(d1[0]) != KeySize {
		t.Fatalf("lengths %d %d", len(d1), len(d2))
	}
	if string(d2[1]) != string(d1[0]) {
		t.Error("the same master key derives different keys")
	}
	if string(d2[0]) == string(d1[0]) {
		t.Error("different master keys derive the same key")
	}
	if string(k1.Derive("other")[0]) == string(d1[0]) {
		t.Error("different purposes derive the same key")
	}
	if string(d1[0]) == string(a) {
		t.Error("derived key equals the master key")
	}
}
