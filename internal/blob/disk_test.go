package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newDisk(t *testing.T) (*Disk, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func put(t *testing.T, s Store, key, content, ct string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(content), ct); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s Store, key string) (string, Info) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), info
}

func etag(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])[:32]
}

// tempFiles lists the temporary files under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), tempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func TestDiskRoundTrip(t *testing.T) {
	d, dir := newDisk(t)
	before := time.Now().Add(-time.Second)
	put(t, d, "orgs/0190abcd/logo", "\x89PNG fake content", "image/png")

	got, info := get(t, d, "orgs/0190abcd/logo")
	if got != "\x89PNG fake content" {
		t.Fatalf("content %q", got)
	}
	if info.Size != int64(len(got)) || info.ContentType != "image/png" || info.ETag != etag(got) {
		t.Fatalf("info %+v", info)
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Second)) {
		t.Fatalf("mod time %v", info.ModTime)
	}

	// The file is where the key says, private, in private directories.
	for p, want := range map[string]fs.FileMode{
		dir:                                      0o700 | fs.ModeDir,
		filepath.Join(dir, "orgs"):               0o700 | fs.ModeDir,
		filepath.Join(dir, "orgs/0190abcd"):      0o700 | fs.ModeDir,
		filepath.Join(dir, "orgs/0190abcd/logo"): 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}

	// Empty content and a content type with parameters.
	put(t, d, "empty", "", "text/plain; charset=utf-8")
	got, info = get(t, d, "empty")
	if got != "" || info.Size != 0 || info.ContentType != "text/plain; charset=utf-8" || info.ETag != etag("") {
		t.Fatalf("empty blob: %q %+v", got, info)
	}

	// A second Disk on the same directory reads what the first wrote.
	d2, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if got, _ := get(t, d2, "orgs/0190abcd/logo"); got != "\x89PNG fake content" {
		t.Fatalf("reopened: %q", got)
	}
	if n := tempFiles(t, dir); len(n) != 0 {
		t.Fatalf("temporary files left: %v", n)
	}
}

func TestDiskOverwrite(t *testing.T) {
	d, _ := newDisk(t)
	put(t, d, "k", "first", "image/png")
	_, info1 := get(t, d, "k")

	// A reader opened before the overwrite keeps reading the old blob.
	rc, _, err := d.Get(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()

	put(t, d, "k", "second, longer", "image/jpeg")
	got, info2 := get(t, d, "k")
	if got != "second, longer" || info2.ContentType != "image/jpeg" || info2.Size != 14 {
		t.Fatalf("after overwrite: %q %+v", got, info2)
	}
	if info1.ETag == info2.ETag {
		t.Fatal("ETag unchanged by new content")
	}
	if old, _ := io.ReadAll(rc); string(old) != "first" {
		t.Fatalf("old reader read %q", old)
	}

	// Same content, same ETag.
	put(t, d, "k", "first", "image/png")
	if _, info3 := get(t, d, "k"); info3.ETag != info1.ETag {
		t.Fatalf("ETag %q, then %q for the same content", info1.ETag, info3.ETag)
	}
}

func TestDiskDelete(t *testing.T) {
	ctx := context.Background()
	d, dir := newDisk(t)
	put(t, d, "orgs/a/logo", "x", "image/png")
	put(t, d, "orgs/a/banner", "y", "image/png")
	if err := d.Delete(ctx, "orgs/a/logo"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, "orgs/a/logo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if got, _ := get(t, d, "orgs/a/banner"); got != "y" {
		t.Fatal("Delete removed a neighbour")
	}
	// Deleting what is not there succeeds, as on S3.
	for _, key := range []string{"orgs/a/logo", "never", "orgs/b/c", "orgs/a/banner/x"} {
		if err := d.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q): %v", key, err)
		}
	}
	// A directory is a prefix, not a blob: Delete leaves it alone.
	if err := d.Delete(ctx, "orgs"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "orgs/a/banner")); err != nil {
		t.Fatal(err)
	}
}

func TestDiskNotFound(t *testing.T) {
	ctx := context.Background()
	d, dir := newDisk(t)
	put(t, d, "orgs/a/logo", "x", "image/png")
	for _, key := range []string{"missing", "orgs/b/logo", "orgs", "orgs/a", "orgs/a/logo/x"} {
		rc, _, err := d.Get(ctx, key)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
		if rc != nil {
			t.Errorf("Get(%q) returned a reader", key)
		}
	}

	// A file that is not a blob (no header) is an error, not a blob.
	if err := os.WriteFile(filepath.Join(dir, "raw"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, "raw"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a foreign file: %v", err)
	}
	// Nor is a blob whose length disagrees with its header.
	put(t, d, "cut", "0123456789", "image/png")
	if err := os.Truncate(filepath.Join(dir, "cut"), headerSize+5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, "cut"); !errors.Is(err, errCorrupt) {
		t.Fatalf("Get of a truncated blob: %v", err)
	}
}

func TestValidKey(t *testing.T) {
	for _, key := range []string{
		"a", "0", "logo.png", "orgs/0190abcd-ef01/logo", "a/b_c-d.e/f", "a.", "a/b..c",
		strings.Repeat("a", 201),
	} {
		if err := ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v", key, err)
		}
	}
	for _, key := range []string{
		"", "../x", "a/../../x", "..", ".", "./a", "a/./b", "a/..", "/etc/passwd", "/a",
		"a//b", "a/", "a/b/", ".hidden", "a/.tmp-x", "a/-b", "a/_b",
		"A", "Logo.png", "a b", `a\b`, `..\x`, "a\x00b", "a\nb", "a%2f..%2fx", "a:b", "c:/x",
		"～", "ａ", "a/\uff0e\uff0e/x", "a\u2215..\u2215x", "\u2025/x", "é", "e\u0301",
		"a\u200bb", "a\u202e", "\ufeffa", "a/\u0338",
		strings.Repeat("a", 202),
	} {
		if err := ValidKey(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

// Keys that try to leave the root are refused by every method, and nothing
// is written outside the root.
func TestDiskTraversal(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "blobs")
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	secret := filepath.Join(parent, "secret")
	if err := os.WriteFile(secret, []byte("do not touch"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"../x", "../secret", "a/../../x", "a/../../secret", "/etc/passwd", "/" + secret,
		"a//b", "..", "a/\uff0e\uff0e/x", "\u2025/secret", `..\secret`,
	} {
		if err := d.Put(ctx, key, strings.NewReader("pwned"), "image/png"); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v", key, err)
		}
		if _, _, err := d.Get(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Get(%q) = %v", key, err)
		}
		if err := d.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v", key, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 2 {
		t.Errorf("parent holds %v", entries)
	}
	if b, _ := os.ReadFile(secret); string(b) != "do not touch" {
		t.Fatal("secret changed")
	}

	// A symbolic link planted in the root cannot lead out of it.
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "evil")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if err := d.Put(ctx, "evil/x", strings.NewReader("pwned"), "image/png"); err == nil {
		t.Error("Put through a symbolic link out of the root succeeded")
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, "link"); err == nil {
		t.Error("Get through a symbolic link out of the root succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written outside the root: %v", entries)
	}
}

func TestDiskContentType(t *testing.T) {
	d, _ := newDisk(t)
	for _, ct := range []string{
		"", "image", "text/plain\r\nX-Injected: 1", "image/png\n", "image/pngé",
		"image/" + strings.Repeat("x", 150),
	} {
		if err := d.Put(context.Background(), "k", strings.NewReader("x"), ct); !errors.Is(err, ErrInvalidType) {
			t.Errorf("Put with content type %q: %v", ct, err)
		}
	}
	// The longest accepted content type, full of characters JSON escapes.
	ct := `a/b; c="` + strings.Repeat(`\"`, (maxContentTypeLen-9)/2) + `"`
	if len(ct) > maxContentTypeLen {
		t.Fatal(len(ct))
	}
	put(t, d, "k", "x", ct)
	if _, info := get(t, d, "k"); info.ContentType != ct {
		t.Fatalf("content type %q", info.ContentType)
	}
}

// errReader fails after giving some bytes.
type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

// A failed or cancelled Put leaves the old blob and no temporary file.
func TestDiskPutFails(t *testing.T) {
	d, dir := newDisk(t)
	put(t, d, "a/k", "old", "image/png")

	if err := d.Put(context.Background(), "a/k", &errReader{n: 100000}, "image/png"); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Put from a failing reader: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Put(ctx, "a/k", strings.NewReader("new"), "image/png"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put: %v", err)
	}
	if got, info := get(t, d, "a/k"); got != "old" || info.ETag != etag("old") {
		t.Fatalf("after failed Puts: %q", got)
	}
	if n := tempFiles(t, dir); len(n) != 0 {
		t.Fatalf("temporary files left: %v", n)
	}

	// A key below a blob cannot be written ("a/k" is a file).
	if err := d.Put(context.Background(), "a/k/x", strings.NewReader("x"), "image/png"); err == nil {
		t.Fatal("Put below a blob succeeded")
	}
}

// Concurrent Puts to one key end with one writer's complete blob, its own
// content type and ETag; readers meanwhile see only complete blobs.
func TestDiskConcurrentPut(t *testing.T) {
	d, dir := newDisk(t)
	const writers = 16
	content := func(i int) string { return strings.Repeat(fmt.Sprintf("writer %02d|", i), 30000) } // 300 KB
	ctOf := func(i int) string { return fmt.Sprintf("application/x-writer-%02d", i) }
	check := func(got string, info Info) error {
		var i int
		if _, err := fmt.Sscanf(info.ContentType, "application/x-writer-%02d", &i); err != nil {
			return fmt.Errorf("content type %q", info.ContentType)
		}
		if got != content(i) {
			return fmt.Errorf("content of %d bytes is not writer %d's", len(got), i)
		}
		if info.Size != int64(len(got)) || info.ETag != etag(got) {
			return fmt.Errorf("info %+v", info)
		}
		return nil
	}
	put(t, d, "shared/logo", content(0), ctOf(0))

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, writers+4)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rc, info, err := d.Get(context.Background(), "shared/logo")
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err == nil {
					err = check(string(b), info)
				}
				if err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		})
	}
	var writersWG sync.WaitGroup
	for i := range writers {
		writersWG.Go(func() {
			if err := d.Put(context.Background(), "shared/logo", strings.NewReader(content(i)), ctOf(i)); err != nil {
				errs <- err
			}
		})
	}
	writersWG.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := check(get(t, d, "shared/logo")); err != nil {
		t.Fatal(err)
	}
	if n := tempFiles(t, dir); len(n) != 0 {
		t.Fatalf("temporary files left: %v", n)
	}
}

func TestNewDiskRemovesStaleTemps(t *testing.T) {
	_, dir := newDisk(t)
	if err := os.MkdirAll(filepath.Join(dir, "orgs/a"), 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "orgs/a", tempPrefix+"OLD")
	recent := filepath.Join(dir, "orgs/a", tempPrefix+"RECENT")
	for _, p := range []string{old, recent} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("recent temporary file (maybe a Put in progress): %v", err)
	}
}

func BenchmarkDiskPutGet(b *testing.B) {
	d, err := NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	data := bytes.Repeat([]byte("x"), 64<<10) // a typical logo
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := d.Put(ctx, "orgs/a/logo", bytes.NewReader(data), "image/png"); err != nil {
			b.Fatal(err)
		}
		rc, _, err := d.Get(ctx, "orgs/a/logo")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
	}
}
