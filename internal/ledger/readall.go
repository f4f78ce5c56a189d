package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// ReadFile reads the whole ledger file in r, named name in errors, calling
// fn with each entry (valid until fn returns), and returns the number of
// entries and the SHA-256 of every byte of r, trailing bytes after the
// compressed stream included: what a manifest's digest of the file must
// match.
func ReadFile(r io.Reader, name string, fn func(*Entry) error) (entries int64, sha256hex string, err error) {
	h := sha256.New()
	tee := io.TeeReader(r, h)
	lr, err := NewReader(tee, name)
	if err != nil {
		return 0, "", err
	}
	defer lr.Close()
	for {
		e, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return entries, "", err
		}
		entries++
		if err := fn(e); err != nil {
			return entries, "", err
		}
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return entries, "", err
	}
	return entries, hex.EncodeToString(h.Sum(nil)), nil
}
