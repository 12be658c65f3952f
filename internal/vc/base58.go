package vc

import (
	"errors"
	"fmt"
)

// The Bitcoin base58 alphabet used by multibase 'z' (base58btc).
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() [256]int8 {
	var idx [256]int8
	for i := range idx {
		idx[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		idx[base58Alphabet[i]] = int8(i)
	}
	return idx
}()

// ErrBase58 is returned for a string with a character outside the base58btc
// alphabet.
var ErrBase58 = errors.New("vc: invalid base58btc")

// base58Encode encodes b in base58btc; each leading zero byte becomes a '1'.
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) ≈ 1.366: enough digits for the rest.
	digits := make([]byte, 0, (len(b)-zeros)*138/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58) // #nosec G115 -- carry%58 < 58
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i, d := range digits {
		out[len(out)-1-i] = base58Alphabet[d]
	}
	return string(out)
}

// base58Decode decodes a base58btc string; each leading '1' becomes a zero byte.
func base58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) ≈ 0.733.
	bytes := make([]byte, 0, (len(s)-zeros)*733/1000+1)
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, fmt.Errorf("%w: character %q at %d", ErrBase58, s[i], i)
		}
		carry := int(v)
		for j := range bytes {
			carry += int(bytes[j]) * 58
			bytes[j] = byte(carry) // #nosec G115 -- keeping the low 8 bits is the point; the rest carries
			carry >>= 8
		}
		for carry > 0 {
			bytes = append(bytes, byte(carry)) // #nosec G115 -- keeping the low 8 bits is the point; the rest carries
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(bytes))
	for i, b := range bytes {
		out[len(out)-1-i] = b
	}
	return out, nil
}
