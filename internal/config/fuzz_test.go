package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds the configuration parser what a stranger could write: it
// never panics, and what it accepts is consistent — every pair names
// stores it defines, the run options are in range, and the locations
// parsed.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "signing: {kms_key: 'arn:aws:kms:us-east-1:123456789012:key/x'}\nrun: {lease_ttl: 90s}\n"))
	f.Add([]byte(minimal + "state: s3://b/p?region=us-east-1&endpoint=http://127.0.0.1:5000&path_style=true\nreports: oci://b@ns/p?region=us-ashburn-1\n"))
	f.Add([]byte("stores: {a: &x {type: s3, bucket: abc, region: us-east-1}, b: *x}\npairs: [{name: p, legacy: [a], target: b}]\n"))
	f.Add([]byte("stores:\n  a:\n    type: s3\n   bucket: x\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte(""))
	if b, err := os.ReadFile(filepath.Join("..", "..", "README.md")); err == nil {
		// The README's example configuration, if it has one.
		if i := strings.Index(string(b), "stores:"); i >= 0 {
			f.Add(b[i:])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("/fuzz/parityproof.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("an error and a configuration")
			}
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		for _, p := range cfg.Pairs {
			for _, name := range append(append([]string{}, p.Legacy...), p.Target) {
				if _, ok := cfg.Stores[name]; !ok {
					t.Fatalf("pair %q names store %q, which is not defined", p.Name, name)
				}
			}
		}
		if len(cfg.Pairs) == 0 || len(cfg.Stores) == 0 {
			t.Fatal("accepted without pairs or stores")
		}
		r := cfg.Run
		if r.Workers < 1 || r.ShardSize < 1 || r.CheckpointEvery < 1 || r.PageSize < 1 || r.PageSize > 1000 || r.LeaseTTL < MinLeaseTTL {
			t.Fatalf("run options out of range: %+v", r)
		}
		for _, loc := range []Location{cfg.State, cfg.Reports} {
			switch loc.Scheme {
			case "file":
				if !filepath.IsAbs(loc.Dir) {
					t.Fatalf("location %s has a relative folder %q", loc, loc.Dir)
				}
			case "s3", "oci":
				if loc.Bucket == "" {
					t.Fatalf("location %s has no bucket", loc)
				}
			default:
				t.Fatalf("location %s has scheme %q", loc, loc.Scheme)
			}
		}
		if cfg.Signing.KMSKey != "" && cfg.Signing.KeyFile != "" {
			t.Fatal("two signing keys accepted")
		}
	})
}
