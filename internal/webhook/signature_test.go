package webhook

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The specification's own examples (its Go library's tests): message,
// secret, timestamp, body and the signatures they must give.
const (
	specSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specSeed    = "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
	specID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specBody    = `{"test": 2432232314}`
	specV1      = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	specV1a     = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="
	specUnix    = 1614265330
	wrongV1     = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	wrongScheme = "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

func specKeys(t *testing.T) ([]byte, ed25519.PrivateKey) {
	t.Helper()
	key, err := ParseSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base64.StdEncoding.DecodeString(specSeed)
	if err != nil {
		t.Fatal(err)
	}
	return key, ed25519.NewKeyFromSeed(seed)
}

func TestSignMatchesTheSpecification(t *testing.T) {
	key, priv := specKeys(t)
	ts := time.Unix(specUnix, 0)
	if got := Sign(key, specID, ts, []byte(specBody)); got != specV1 {
		t.Errorf("v1 = %s, want %s", got, specV1)
	}
	if got := SignEd25519(priv, specID, ts, []byte(specBody)); got != specV1a {
		t.Errorf("v1a = %s, want %s", got, specV1a)
	}
	// The prefix is optional, as in the specification's libraries.
	bare, err := ParseSecret(strings.TrimPrefix(specSecret, "whsec_"))
	if err != nil || string(bare) != string(key) {
		t.Errorf("secret without its prefix: %v", err)
	}
}

func TestVerify(t *testing.T) {
	key, priv := specKeys(t)
	now := time.Unix(specUnix, 0)
	body := []byte(specBody)
	v := Verifier{Keys: [][]byte{key}, PublicKeys: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)},
		Now: func() time.Time { return now }}
	headers := func(ts time.Time, sigs ...string) http.Header {
		h := http.Header{}
		Headers(h, specID, ts, sigs...)
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"v1", headers(now, specV1), body, nil},
		{"v1a", headers(now, specV1a), body, nil},
		{"one of several (rotation)", headers(now, wrongV1, wrongScheme, specV1, wrongV1), body, nil},
		{"wrong signature", headers(now, wrongV1), body, ErrSignature},
		{"unknown scheme only", headers(now, wrongScheme), body, ErrSignature},
		{"partial", headers(now, "v1a,"), body, ErrSignature},
		{"body changed", headers(now, specV1, specV1a), []byte(`{"test": 2432232315}`), ErrSignature},
		{"too old", headers(now.Add(-Tolerance-time.Second), Sign(key, specID, now.Add(-Tolerance-time.Second), body)), body, ErrTimestamp},
		{"too new", headers(now.Add(Tolerance+time.Second), Sign(key, specID, now.Add(Tolerance+time.Second), body)), body, ErrTimestamp},
		{"timestamp changed", func() http.Header { h := headers(now, specV1); h.Set(HeaderTimestamp, "1614265331"); return h }(), body, ErrSignature},
		{"no id", func() http.Header { h := headers(now, specV1); h.Del(HeaderID); return h }(), body, ErrMissingHeaders},
		{"no timestamp", func() http.Header { h := headers(now, specV1); h.Del(HeaderTimestamp); return h }(), body, ErrMissingHeaders},
		{"no signature", func() http.Header { h := headers(now, specV1); h.Del(HeaderSignature); return h }(), body, ErrMissingHeaders},
		{"timestamp not a number", func() http.Header { h := headers(now, specV1); h.Set(HeaderTimestamp, "soon"); return h }(), body, ErrTimestamp},
	} {
		if err := v.Verify(tc.h, tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q, %q", a, b)
	}
	key, err := ParseSecret(a)
	if err != nil || len(key) != secretBytes {
		t.Fatalf("ParseSecret(%q) = %d bytes, %v", a, len(key), err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_not base64!", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}
