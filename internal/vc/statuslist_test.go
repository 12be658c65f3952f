package vc

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// The encodedList of the examples of W3C Bitstring Status List v1.0: an
// empty (all zero) list of the minimum size.
const specEncodedList = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

func TestStatusListSpecExample(t *testing.T) {
	bits, err := DecodeStatusList(specEncodedList)
	if err != nil {
		t.Fatal(err)
	}
	if len(bits)*8 != StatusListSize || !bytes.Equal(bits, make([]byte, StatusListSize/8)) {
		t.Errorf("decoded %d bytes, want %d zero bytes", len(bits), StatusListSize/8)
	}
}

func TestStatusListRoundTrip(t *testing.T) {
	bits := make([]byte, StatusListSize/8)
	for _, i := range []int{0, 7, 8, 94567, StatusListSize - 1} {
		SetBit(bits, i, true)
	}
	// Bit 0 is the most significant bit of byte 0.
	if bits[0] != 0x81 || bits[1] != 0x80 || bits[len(bits)-1] != 0x01 {
		t.Errorf("bit order: bytes %08b %08b … %08b", bits[0], bits[1], bits[len(bits)-1])
	}
	s, err := EncodeStatusList(bits)
	if err != nil || !strings.HasPrefix(s, "uH4sI") || strings.ContainsAny(s, "+/=") {
		t.Fatalf("EncodeStatusList = %.20s…, %v", s, err)
	}
	got, err := DecodeStatusList(s)
	if err != nil || !bytes.Equal(got, bits) {
		t.Fatalf("round trip: %v", err)
	}
	for i := range StatusListSize {
		want := i == 0 || i == 7 || i == 8 || i == 94567 || i == StatusListSize-1
		if Bit(got, i) != want {
			t.Fatalf("Bit(%d) = %v", i, !want)
		}
	}
	SetBit(got, 94567, false)
	SetBit(got, 94566, false) // clearing a clear bit changes nothing
	if Bit(got, 94567) || Bit(got, 94566) || !Bit(got, 8) {
		t.Error("SetBit false")
	}
}

func gzipBase64(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestStatusListRefuses(t *testing.T) {
	if _, err := EncodeStatusList(make([]byte, 1000)); !errors.Is(err, ErrStatusList) {
		t.Errorf("encode short list: err = %v", err)
	}
	bomb := "u" + gzipBase64(t, make([]byte, 64<<20)) // 64 MiB of zeros, ~65 KB compressed
	cases := map[string]string{
		"no prefix":          specEncodedList[1:],
		"base58 prefix":      "z" + specEncodedList[1:],
		"padding":            "u" + base64.URLEncoding.EncodeToString([]byte("xx")),
		"standard base64":    "u" + strings.ReplaceAll(strings.ReplaceAll(specEncodedList[1:], "-", "+"), "_", "/"),
		"not gzip":           "u" + base64.RawURLEncoding.EncodeToString(make([]byte, 20000)),
		"truncated gzip":     specEncodedList[:len(specEncodedList)-8],
		"too short":          "u" + gzipBase64(t, make([]byte, 100)),
		"decompression bomb": bomb,
		"empty":              "",
	}
	for name, s := range cases {
		if _, err := DecodeStatusList(s); !errors.Is(err, ErrStatusList) {
			t.Errorf("%s: err = %v, want ErrStatusList", name, err)
		}
	}
	if _, err := DecodeStatusList("u" + gzipBase64(t, make([]byte, 16<<20))); err != nil {
		t.Errorf("16 MiB list: %v", err)
	}
}
