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

// base58Limb is 58^5, the base of base58Encode's limbs: five digits each.
const base58Limb = 58 * 58 * 58 * 58 * 58

// base58Encode encodes b in base58btc; each leading zero byte becomes a '1'.
// The number is converted in limbs of five digits, three bytes at a time
// (a signature costs a twelfth of the byte-by-digit conversion).
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	rest := b[zeros:]
	// log(256)/log(58) ≈ 1.366 digits per byte.
	limbs := make([]uint32, 0, len(rest)*138/500+2)
	for i := 0; i < len(rest); {
		n := min(3, len(rest)-i)
		var carry uint64
		for _, c := range rest[i : i+n] {
			carry = carry<<8 | uint64(c)
		}
		i += n
		mul := uint64(1) << (8 * n)
		for j := range limbs {
			t := uint64(limbs[j])*mul + carry
			limbs[j] = uint32(t % base58Limb) // #nosec G115 -- < 58^5 < 2^32
			carry = t / base58Limb
		}
		for carry > 0 {
			limbs = append(limbs, uint32(carry%base58Limb)) // #nosec G115 -- < 58^5 < 2^32
			carry /= base58Limb
		}
	}
	// Digits, least significant first; the top limb without its zeros.
	digits := make([]byte, 0, 5*len(limbs))
	for j, l := range limbs {
		for k := 0; k < 5 && (l > 0 || j < len(limbs)-1); k++ {
			digits = append(digits, byte(l%58)) // #nosec G115 -- l%58 < 58
			l /= 58
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

// base58Decode decodes a base58btc string; each leading '1' becomes a zero
// byte. The number is built in 32-bit limbs, five digits at a time.
func base58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) ≈ 0.733 bytes per digit.
	limbs := make([]uint32, 0, (len(s)-zeros)*733/4000+2)
	for i := zeros; i < len(s); {
		n := min(5, len(s)-i)
		var acc uint64
		mul := uint64(1)
		for k := i; k < i+n; k++ {
			v := base58Index[s[k]]
			if v < 0 {
				return nil, fmt.Errorf("%w: character %q at %d", ErrBase58, s[k], k)
			}
			acc = acc*58 + uint64(v)
			mul *= 58
		}
		i += n
		carry := acc
		for j := range limbs {
			t := uint64(limbs[j])*mul + carry
			limbs[j] = uint32(t) // #nosec G115 -- keeping the low 32 bits is the point; the rest carries
			carry = t >> 32
		}
		for carry > 0 {
			limbs = append(limbs, uint32(carry)) // #nosec G115 -- keeping the low 32 bits is the point; the rest carries
			carry >>= 32
		}
	}
	// Bytes, least significant first; the top limb without its zeros.
	bytes := make([]byte, 0, 4*len(limbs))
	for j, l := range limbs {
		for k := 0; k < 4 && (l > 0 || j < len(limbs)-1); k++ {
			bytes = append(bytes, byte(l)) // #nosec G115 -- the low 8 bits
			l >>= 8
		}
	}
	out := make([]byte, zeros+len(bytes))
	for i, b := range bytes {
		out[len(out)-1-i] = b
	}
	return out, nil
}
