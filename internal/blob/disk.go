package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"
)

// Disk is a Store in a local directory. The blob at key "orgs/x/logo" is the
// file <dir>/orgs/x/logo. Each file starts with a fixed 512-byte header
// holding the content type, size and SHA-256 (one line of JSON after a magic
// line, padded with spaces), then the content. Keeping the metadata in the
// same file, rather than in a sidecar, lets one rename publish content and
// metadata together: a sidecar needs a second rename, between which a reader
// or a crash sees new content with the old type and ETag.
//
// Every write goes to a temporary file in the target's directory, is
// fsynced, and is renamed over the target; the directory is then fsynced.
// Of concurrent Puts to one key, the last rename wins whole. Files are 0600
// and directories 0700. All access goes through an os.Root, so that even a
// symbolic link placed in the directory cannot lead outside it. A Disk
// assumes it is the only writer of its directory tree.
type Disk struct {
	root *os.Root
}

var _ Store = (*Disk)(nil)

const (
	headerSize  = 512
	headerMagic = "trustcred-blob 1\n"
	tempPrefix  = ".tmp-" // keys cannot have a segment starting with "."
	staleTemp   = time.Hour
)

// header is the JSON in a blob file's header.
type header struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// NewDisk opens (creating it 0700 if needed) a Disk rooted at dir, and
// removes temporary files older than an hour that a crash left behind.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d := &Disk{root: root}
	if err := d.removeStaleTemps(time.Now().Add(-staleTemp)); err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("blob: cleaning %s: %w", dir, err)
	}
	return d, nil
}

// Close releases the directory handle.
func (d *Disk) Close() error { return d.root.Close() }

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, contentType string) (err error) {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("blob: put %q: %w", key, err)
	}
	if err := validContentType(contentType); err != nil {
		return fmt.Errorf("blob: put %q: %w: %q", key, err, contentType)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("blob: put %s: %w", key, err)
		}
	}()
	dir := path.Dir(key)
	if dir != "." {
		if err := d.root.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	tmp := path.Join(dir, tempPrefix+rand.Text())
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close()
			_ = d.root.Remove(tmp)
		}
	}()

	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return err
	}
	hdr, err := encodeHeader(header{ContentType: contentType, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.root.Rename(tmp, key); err != nil {
		return err
	}
	renamed = true
	return d.syncDir(dir)
}

// Get implements Store. The reader is the open file, positioned after the
// header; it keeps reading the blob it opened even if a Put replaces it.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidKey(key); err != nil {
		return nil, Info{}, fmt.Errorf("blob: get %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	f, err := d.root.Open(key)
	if err != nil {
		if notExist(err) {
			return nil, Info{}, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
		}
		return nil, Info{}, fmt.Errorf("blob: get %s: %w", key, err)
	}
	info, err := readHeader(f)
	if err != nil {
		_ = f.Close()
		return nil, Info{}, fmt.Errorf("blob: get %s: %w", key, err)
	}
	return f, info, nil
}

// Delete implements Store. Directories left empty stay: a concurrent Put
// may be about to write into one.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("blob: delete %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := d.root.Lstat(key)
	if err != nil {
		if notExist(err) {
			return nil
		}
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if fi.IsDir() { // a prefix of other keys, not a blob
		return nil
	}
	if err := d.root.Remove(key); err != nil && !notExist(err) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return d.syncDir(path.Dir(key))
}

// readHeader reads and checks the header of the blob file f, leaving f at
// the start of the content.
func readHeader(f *os.File) (Info, error) {
	fi, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	if fi.IsDir() {
		return Info{}, ErrNotFound
	}
	buf := make([]byte, headerSize)
	if _, err := io.ReadFull(f, buf); err != nil {
		return Info{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	rest, ok := bytes.CutPrefix(buf, []byte(headerMagic))
	if !ok {
		return Info{}, fmt.Errorf("%w: no header", errCorrupt)
	}
	var h header
	if err := json.Unmarshal(bytes.TrimRight(rest, " \n"), &h); err != nil {
		return Info{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if h.Size != fi.Size()-headerSize || len(h.SHA256) != 64 {
		return Info{}, fmt.Errorf("%w: header says %d bytes, file holds %d", errCorrupt, h.Size, fi.Size()-headerSize)
	}
	return Info{
		Size:        h.Size,
		ContentType: h.ContentType,
		ModTime:     fi.ModTime(),
		ETag:        h.SHA256[:32],
	}, nil
}

func encodeHeader(h header) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // at most 2 bytes per content-type byte
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	js := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(headerMagic)+len(js)+1 > headerSize {
		return nil, fmt.Errorf("header of %d bytes too long", len(js))
	}
	buf := bytes.Repeat([]byte{' '}, headerSize)
	copy(buf, headerMagic)
	copy(buf[len(headerMagic):], js)
	buf[headerSize-1] = '\n'
	return buf, nil
}

// syncDir makes a rename or removal in dir durable.
func (d *Disk) syncDir(dir string) error {
	f, err := d.root.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot sync a directory
		return err
	}
	return nil
}

// removeStaleTemps deletes temporary files last written before cutoff.
func (d *Disk) removeStaleTemps(cutoff time.Time) error {
	return fs.WalkDir(d.root.FS(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), tempPrefix) {
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
				if err := d.root.Remove(name); err != nil && !notExist(err) {
					return err
				}
			}
		}
		return nil
	})
}

// notExist reports a missing file, including a path through a file ("a/b"
// when "a" is a blob).
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// ctxReader stops reading when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
