package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"
)

// EnvVar is the environment variable whose value is passed to [Load].
const EnvVar = "TRUSTCRED_MASTER_KEY"

// KeyFileName is the master key file [Load] uses inside the data directory.
const KeyFileName = "master.key"

const maxKeyFileSize = 64 << 10

// Load returns the master keyring.
//
// If env (the value of [EnvVar]) is non-empty it is parsed by [ParseKeyring].
// Otherwise <dataDir>/master.key is read, in the same format; it must be a
// regular file with no group or other permissions (like ssh, a broader mode
// is an error wrapping [ErrInsecureKeyFile]). If the file does not exist, a
// random key is generated and written there with mode 0600, creating
// dataDir with mode 0700 if needed. Creation is atomic and safe against
// several processes starting at once: all of them end up with the same key.
//
// A key for the environment can be made with `openssl rand -base64 32`.
func Load(env, dataDir string) (*Keyring, error) {
	if env != "" {
		kr, err := ParseKeyring(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar, err)
		}
		return kr, nil
	}
	if dataDir == "" {
		return nil, fmt.Errorf("%w: %s is unset and no data directory was given", ErrInvalidKey, EnvVar)
	}
	path := filepath.Join(dataDir, KeyFileName)
	kr, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(dataDir, path)
	}
	return kr, err
}

// ParseKeyring parses one or more keys separated by commas or white space;
// the first is primary. Each key is base64 (standard or URL alphabet, padded
// or not) of [KeySize] bytes, optionally prefixed by "id:"; without an id,
// [KeyID] is used. Error messages never contain key material.
func ParseKeyring(s string) (*Keyring, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKey)
	}
	keys := make([]Key, 0, len(fields))
	defer func() {
		for _, k := range keys {
			clear(k.Raw)
		}
	}()
	for i, f := range fields {
		id, enc, hasID := strings.Cut(f, ":")
		if !hasID {
			id, enc = "", f
		} else if id == "" {
			return nil, fmt.Errorf("%w: key %d has an empty id", ErrInvalidKey, i+1)
		}
		raw, ok := decodeBase64(enc)
		if !ok {
			return nil, fmt.Errorf("%w: key %d is not valid base64", ErrInvalidKey, i+1)
		}
		keys = append(keys, Key{ID: id, Raw: raw})
	}
	return NewKeyring(keys...)
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// readKeyFile reads and parses a master key file, checking its mode.
// A missing file yields an error wrapping fs.ErrNotExist.
func readKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator's configured key file
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalidKey, path)
	}
	// Windows has no Unix permission bits; its ACLs are out of scope here.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %#o, want 0600 (chmod 600 %s)", ErrInsecureKeyFile, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	defer clear(b)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidKey, path, maxKeyFileSize)
	}
	kr, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// createKeyFile generates a key and publishes it at path without ever
// replacing an existing file: the key is written and synced to a temporary
// file, then hard-linked into place. Unlike rename, link fails if path
// already exists, so when processes race exactly one key wins and the
// losers read it.
func createKeyFile(dataDir, path string) (*Keyring, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	raw := GenerateKey()
	defer clear(raw)
	kr, err := NewKeyring(Key{Raw: raw})
	if err != nil {
		return nil, err
	}

	tmp, err := os.CreateTemp(dataDir, "."+KeyFileName+"-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secret: writing master key: %w", err)
	}

	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path) // another process won the race
		}
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return kr, nil
}

// syncDir makes a new directory entry durable, so a crash cannot lose the
// key after data has been sealed under it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir) // #nosec G304 -- the directory of the operator's configured key file
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
