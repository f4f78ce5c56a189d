package ledger

import (
	"fmt"
	"path"
	"strings"
)

// check refuses a manifest a reader must not follow: a file path that
// leaves the run's folder (absolute, with "..", not clean, a URL), a
// digest that is not 64 hex digits, negative counts or sizes.
func (m *Manifest) check() error {
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			for _, f := range s.Files {
				if !LocalPath(f.Path) {
					return fmt.Errorf("pair %s, shard %s: the file path %q is not a clean path inside the run's folder", p.Name, s.ID, f.Path)
				}
				if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
					return fmt.Errorf("pair %s, shard %s: %s: %q is not a SHA-256 in lowercase hex", p.Name, s.ID, f.Path, f.SHA256)
				}
				if f.Entries < 0 || f.Bytes < 0 {
					return fmt.Errorf("pair %s, shard %s: %s: negative entries or bytes", p.Name, s.ID, f.Path)
				}
			}
		}
	}
	return nil
}

// LocalPath reports whether p is a relative, clean path that stays inside
// the folder it is relative to.
func LocalPath(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../") &&
		!strings.Contains(p, "://") && !strings.Contains(p, "\\") && !strings.ContainsRune(p, 0)
}
