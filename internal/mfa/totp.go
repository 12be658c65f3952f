// Package mfa is the second factor: TOTP secrets for authenticator apps
// (RFC 6238: 6 digits, HMAC-SHA1, 30-second steps, which every app supports)
// and single-use recovery codes.
//
// The caller stores the TOTP secret sealed (secret.Sealed), the last accepted
// step beside it, and only the hashes of the recovery codes.
package mfa

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// The parameters every authenticator app supports; the otpauth:// URL
// carries them, but several apps ignore anything else.
const (
	Digits = 6
	Period = 30 * time.Second
	// skew is how many steps either side of the current one are accepted,
	// for clocks that are a little off and codes typed near a boundary.
	skew = 1
	// SecretContext binds a sealed TOTP secret to its column
	// (users.mfa_secret_encrypted): every opener uses it.
	SecretContext = "users.mfa_secret_encrypted"
	// qrSize is the target width of the QR code image in pixels.
	qrSize = 256
	// quietZone is the white border, in modules, that QR readers need.
	quietZone = 4
)

var (
	// ErrInvalidCode is returned by Verify for a code that is malformed or
	// does not match the secret at this time.
	ErrInvalidCode = errors.New("invalid code")
	// ErrReplayed is returned by Verify for a right code whose step was
	// already used (or is older than the one used).
	ErrReplayed = errors.New("code already used")
)

var validateOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Enrolment is what a user needs to add the second factor to an app.
type Enrolment struct {
	Secret string // base32, no padding; store it sealed
	URL    string // otpauth://totp/…, what the QR code encodes
	QR     []byte // PNG
}

// NewKey makes a new random TOTP secret (160 bits, as RFC 4226 recommends)
// for account at issuer. Neither may contain a colon: the otpauth:// label
// is "issuer:account".
func NewKey(issuer, account string) (*Enrolment, error) {
	return enrolment(issuer, account, nil)
}

// KeyFromSecret rebuilds the enrolment (URL and QR code) of a secret made
// by NewKey, for an enrolment that spans several requests and keeps only
// the secret in between.
func KeyFromSecret(issuer, account, secret string) (*Enrolment, error) {
	raw, err := secretEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("mfa: secret is not base32")
	}
	return enrolment(issuer, account, raw)
}

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// enrolment makes the key for account at issuer, with a new random secret
// when raw is nil.
func enrolment(issuer, account string, raw []byte) (*Enrolment, error) {
	if strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return nil, fmt.Errorf("mfa: issuer %q and account %q must not contain ':'", issuer, account)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      uint(Period / time.Second),
		SecretSize:  20,
		Secret:      raw,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	png, err := qrPNG(key.URL())
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QR: png}, nil
}

// qrPNG draws text as a two-colour QR code PNG of about qrSize pixels, with
// whole-pixel modules and the quiet zone around it (key.Image has none).
func qrPNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("mfa: qr code: %w", err)
	}
	n := code.Bounds().Dx()
	scale := max(1, qrSize/(n+2*quietZone))
	side := (n + 2*quietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if r, _, _, _ := code.At(x, y).RGBA(); r != 0 {
				continue // light module
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex((x+quietZone)*scale+dx, (y+quietZone)*scale+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("mfa: qr code: %w", err)
	}
	return buf.Bytes(), nil
}

// Step is the TOTP time step that t falls in.
func Step(t time.Time) int64 {
	return t.Unix() / int64(Period/time.Second)
}

// Verify checks code against secret at time now, accepting the step before
// and after the current one. A code whose step is not after lastStep is
// refused with ErrReplayed, so each code works once: on success the caller
// stores the returned step as the next lastStep (0 before the first use).
// Spaces in code are ignored; anything but 6 digits is ErrInvalidCode.
// An error other than these two means the stored secret is unusable.
func Verify(secret, code string, now time.Time, lastStep int64) (step int64, err error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != Digits || strings.Trim(code, "0123456789") != "" {
		return 0, ErrInvalidCode
	}
	// Compare with every step in the window, without stopping at a match,
	// and keep the latest step that matched.
	cur := Step(now)
	matched := int64(-1)
	for s := cur - skew; s <= cur+skew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), validateOpts)
		if err != nil {
			return 0, fmt.Errorf("mfa: stored secret: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = s
		}
	}
	switch {
	case matched < 0:
		return 0, ErrInvalidCode
	case matched <= lastStep:
		return 0, ErrReplayed
	}
	return matched, nil
}
