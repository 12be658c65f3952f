package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestBase58(t *testing.T) {
	cases := []struct{ hex, b58 string }{
		{"", ""},
		{"00", "1"},
		{"0000", "11"},
		{"61", "2g"},
		{"626262", "a3gV"},
		{"636363", "aPEr"},
		{"00000000000000000000", "1111111111"},
		{"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
		{"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
		{"516b6fcd0f", "ABnLTmg"},
		{"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
		{"572e4794", "3EFU7m"},
		{"10c8511e", "Rt5zm"},
	}
	for _, c := range cases {
		b, _ := hex.DecodeString(c.hex)
		if got := base58Encode(b); got != c.b58 {
			t.Errorf("encode %s = %q, want %q", c.hex, got, c.b58)
		}
		got, err := base58Decode(c.b58)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("decode %q = %x, %v; want %s", c.b58, got, err, c.hex)
		}
	}
	for _, bad := range []string{"0", "O", "I", "l", "abc!", "1 1", "é"} {
		if _, err := base58Decode(bad); !errors.Is(err, ErrBase58) {
			t.Errorf("decode %q: err = %v", bad, err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, r.IntN(80))
		for i := range b {
			if r.IntN(4) > 0 || i > 3 {
				b[i] = byte(r.Uint32())
			}
		}
		got, err := base58Decode(base58Encode(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip %x = %x, %v", b, got, err)
		}
	}
}

func TestMultikey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	mp, err := EncodePublicKey(pub)
	if err != nil || mp[:4] != "z6Mk" {
		t.Fatalf("EncodePublicKey = %q, %v", mp, err)
	}
	gotPub, err := DecodePublicKey(mp)
	if err != nil || !gotPub.Equal(pub) {
		t.Fatalf("DecodePublicKey = %x, %v", gotPub, err)
	}
	ms, err := EncodeSecretKey(priv)
	if err != nil || ms[:4] != "z3u2" {
		t.Fatalf("EncodeSecretKey = %q, %v", ms, err)
	}
	gotPriv, err := DecodeSecretKey(ms)
	if err != nil || !gotPriv.Equal(priv) {
		t.Fatalf("DecodeSecretKey = %x, %v", gotPriv, err)
	}

	if _, err := EncodePublicKey(pub[:31]); !errors.Is(err, ErrMultikey) {
		t.Errorf("short public key: %v", err)
	}
	if _, err := EncodeSecretKey(priv[:32]); !errors.Is(err, ErrMultikey) {
		t.Errorf("seed as private key: %v", err)
	}
	bad := []struct {
		name string
		s    string
		want error
	}{
		{"empty", "", ErrMultibase},
		{"no z", mp[1:], ErrMultibase},
		{"base64 prefix", "m" + mp[1:], ErrMultibase},
		{"bad char", "z0" + mp[2:], ErrMultibase},
		{"secret as public", ms, ErrMultikey},
		{"short", MultibaseEncode(append([]byte{0xed, 0x01}, pub[:31]...)), ErrMultikey},
		{"long", MultibaseEncode(append([]byte{0xed, 0x01}, append(pub, 0)...)), ErrMultikey},
		{"x25519 prefix", MultibaseEncode(append([]byte{0xec, 0x01}, pub...)), ErrMultikey},
		{"no prefix", MultibaseEncode(append([]byte{0, 0}, pub...)), ErrMultikey},
	}
	for _, c := range bad {
		if _, err := DecodePublicKey(c.s); !errors.Is(err, c.want) {
			t.Errorf("DecodePublicKey %s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := DecodeSecretKey(mp); !errors.Is(err, ErrMultikey) {
		t.Errorf("DecodeSecretKey of a public key: %v", err)
	}
	if _, err := DecodeSecretKey(MultibaseEncode(append([]byte{0x80, 0x26}, priv...))); !errors.Is(err, ErrMultikey) {
		t.Errorf("DecodeSecretKey of 64 bytes: %v", err)
	}
}

func FuzzBase58(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 255})
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(bytes.Repeat([]byte{255}, 64))
	f.Add([]byte("1112NEpo7TZRRrLZSi2U"))
	f.Add([]byte("z0OIl"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := base58Encode(b)
		if want := bigBase58(b); s != want {
			t.Fatalf("base58Encode(%x) = %q, want %q", b, s, want)
		}
		got, err := base58Decode(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%x -> %q -> %x, %v", b, s, got, err)
		}
		// b read as base58 text: the number it names, or an error for the
		// first character outside the alphabet.
		want, wantErr := bigBase58Decode(string(b))
		got, err = base58Decode(string(b))
		if (err != nil) != (wantErr != nil) || (err != nil && err.Error() != wantErr.Error()) || !bytes.Equal(got, want) {
			t.Fatalf("base58Decode(%q) = %x, %v; want %x, %v", b, got, err, want, wantErr)
		}
	})
}

// bigBase58Decode is base58btc decoding by the definition, with math/big.
func bigBase58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	for i := zeros; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("%w: character %q at %d", ErrBase58, s[i], i)
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

// bigBase58 is base58btc by the definition, with math/big: the reference
// of FuzzBase58.
func bigBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	var digits []byte
	base, r := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.QuoRem(n, base, r)
		digits = append(digits, base58Alphabet[r.Int64()])
	}
	slices.Reverse(digits)
	return strings.Repeat("1", zeros) + string(digits)
}
