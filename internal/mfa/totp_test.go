package mfa

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"testing"
	"time"
)

// The RFC 6238 appendix B secret for SHA1, base32-encoded.
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

func TestVerifyRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA1: the 8-digit codes; 6 digits are their last six.
	for _, tc := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		now := time.Unix(tc.unix, 0)
		step, err := Verify(rfcSecret, tc.code[2:], now, 0)
		if err != nil {
			t.Fatalf("t=%d code %s: %v", tc.unix, tc.code[2:], err)
		}
		if step != tc.unix/30 {
			t.Fatalf("t=%d: step %d, want %d", tc.unix, step, tc.unix/30)
		}
	}
}

func TestVerifySkew(t *testing.T) {
	const code = "287082" // step 1 (t = 30…59)
	for _, tc := range []struct {
		unix int64
		err  error
	}{
		{0, nil},             // step 0: one step ahead of the server's clock
		{30, nil},            // step 1, start
		{59, nil},            // step 1, end
		{60, nil},            // step 2: one step behind
		{89, nil},            // step 2, end
		{90, ErrInvalidCode}, // step 3: two behind
		{150, ErrInvalidCode},
	} {
		step, err := Verify(rfcSecret, code, time.Unix(tc.unix, 0), 0)
		if !errors.Is(err, tc.err) {
			t.Errorf("t=%d: %v, want %v", tc.unix, err, tc.err)
		}
		if err == nil && step != 1 {
			t.Errorf("t=%d: step %d, want 1", tc.unix, step)
		}
	}
	if got := codeAt(t, 1); got != code {
		t.Fatalf("codeAt(1) = %s, want %s", got, code)
	}
	// Two steps ahead: the code of step 3 at step 1.
	now := time.Unix(59, 0)
	if _, err := Verify(rfcSecret, codeAt(t, 3), now, 0); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("two steps ahead: %v, want ErrInvalidCode", err)
	}
	if _, err := Verify(rfcSecret, codeAt(t, 2), now, 0); err != nil {
		t.Errorf("one step ahead: %v", err)
	}
}

// codeAt computes the code of a step with RFC 4226 directly, independent of
// the library Verify uses.
func codeAt(t *testing.T, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.DecodeString(rfcSecret)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, key)
	_ = binary.Write(mac, binary.BigEndian, uint64(step))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

func TestVerifyReplay(t *testing.T) {
	now := time.Unix(59, 0)
	step, err := Verify(rfcSecret, "287082", now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(rfcSecret, "287082", now, step); !errors.Is(err, ErrReplayed) {
		t.Fatalf("same code again: %v, want ErrReplayed", err)
	}
	// A later step was used already: the older code is refused too.
	if _, err := Verify(rfcSecret, "287082", now.Add(30*time.Second), step+1); !errors.Is(err, ErrReplayed) {
		t.Fatalf("older code after a newer one: %v, want ErrReplayed", err)
	}
	// The next step's code still works once.
	next := codeAt(t, step+1)
	got, err := Verify(rfcSecret, next, now.Add(30*time.Second), step)
	if err != nil || got != step+1 {
		t.Fatalf("next code: step %d, %v", got, err)
	}
}

func TestVerifyInput(t *testing.T) {
	now := time.Unix(59, 0)
	for _, ok := range []string{"287082", " 287 082 ", "287\t082\n"} {
		if _, err := Verify(rfcSecret, ok, now, 0); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "      ", "28708", "2870822", "94287082", "287o82", "28708a", "-287082",
		"２８７０８２", // full-width digits
		"287082\x00", "287-082", "287082287082", "000000", "123456",
	} {
		if _, err := Verify(rfcSecret, bad, now, 0); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%q: %v, want ErrInvalidCode", bad, err)
		}
	}
	// A broken stored secret is neither: the caller must not blame the user.
	_, err := Verify("not base32!", "287082", now, 0)
	if err == nil || errors.Is(err, ErrInvalidCode) || errors.Is(err, ErrReplayed) {
		t.Errorf("broken secret: %v", err)
	}
}

func TestNewKey(t *testing.T) {
	e, err := NewKey("TrustCred", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil || len(secret) != 20 {
		t.Fatalf("secret %q: %d bytes, %v", e.Secret, len(secret), err)
	}
	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/TrustCred:alice@example.com" ||
		q.Get("secret") != e.Secret || q.Get("issuer") != "TrustCred" ||
		q.Get("digits") != "6" || q.Get("algorithm") != "SHA1" || q.Get("period") != "30" {
		t.Fatalf("url %s", e.URL)
	}

	// The secret works with Verify.
	now := time.Now()
	if _, err := Verify(e.Secret, "000000", now, 0); err != nil && !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("verify with new secret: %v", err)
	}

	img, err := png.Decode(bytes.NewReader(e.QR))
	if err != nil {
		t.Fatalf("qr is not a png: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < 150 || b.Dx() > 400 {
		t.Fatalf("qr image %v, want a square of 150-400 px", b)
	}
	// The quiet zone: the border is white.
	for i := range b.Dx() {
		for _, p := range [][2]int{{i, 0}, {0, i}, {i, b.Dy() - 1}, {b.Dx() - 1, i}} {
			if r, _, _, _ := img.At(p[0], p[1]).RGBA(); r != 0xffff {
				t.Fatalf("pixel %v of the border is not white", p)
			}
		}
	}

	e2, err := NewKey("TrustCred", "alice@example.com")
	if err != nil || e2.Secret == e.Secret {
		t.Fatalf("second key: %v, same secret %v", err, e2 != nil && e2.Secret == e.Secret)
	}
	for _, tc := range [][2]string{{"", "a"}, {"TrustCred", ""}, {"Trust:Cred", "a"}, {"TrustCred", "a:b"}} {
		if _, err := NewKey(tc[0], tc[1]); err == nil {
			t.Errorf("NewKey(%q, %q) accepted", tc[0], tc[1])
		}
	}
}

func TestKeyFromSecret(t *testing.T) {
	e, err := NewKey("TrustCred", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	again, err := KeyFromSecret("TrustCred", "alice@example.com", e.Secret)
	if err != nil || again.Secret != e.Secret || again.URL != e.URL || !bytes.Equal(again.QR, e.QR) {
		t.Fatalf("rebuilt enrolment differs: %v", err)
	}
	for _, bad := range []string{"", "not base32!", "TrustCred:"} {
		if _, err := KeyFromSecret("TrustCred", "alice@example.com", bad); err == nil {
			t.Errorf("KeyFromSecret(%q) accepted", bad)
		}
	}
}
