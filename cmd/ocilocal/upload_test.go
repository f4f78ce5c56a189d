package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// upload puts a folder and a file into a bucket it creates, naming the
// objects by their paths under the prefix; a large file goes in parts, so
// the listing's MD5 is the multipart form of that layout.
func TestUpload(t *testing.T) {
	env := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: "acmecorp"}})
	dir := t.TempDir()
	files := map[string]string{
		"backups/00042/a.bin":        "first backup",
		"backups/00042/deep/b e.bin": strings.Repeat("0123456789", 30),
		"single.txt":                 "by itself",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"upload", "--endpoint", env.Endpoint, "--config-file", env.ConfigFile, "--profile", env.Profile,
		"--bucket", "us-users", "--create-bucket", "--prefix", "migrated/", "--part-size", "100",
		filepath.Join(dir, "backups"), filepath.Join(dir, "single.txt")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "uploaded 3 files, 321 bytes, into bucket us-users of namespace acmecorp") {
		t.Errorf("output:\n%s", stdout.String())
	}
	resp, err := env.Client.ListObjects(context.Background(), objectstorage.ListObjectsRequest{NamespaceName: common.String("acmecorp"),
		BucketName: common.String("us-users"), Fields: common.String("name,size,md5")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range resp.Objects {
		got[*o.Name] = *o.Md5
	}
	md5b64 := func(s string) string { sum := md5.Sum([]byte(s)); return base64.StdEncoding.EncodeToString(sum[:]) }
	big := files["backups/00042/deep/b e.bin"]
	var partSums []byte
	for off := 0; off < len(big); off += 100 {
		sum := md5.Sum([]byte(big[off:min(off+100, len(big))]))
		partSums = append(partSums, sum[:]...)
	}
	want := map[string]string{
		"migrated/00042/a.bin":        md5b64(files["backups/00042/a.bin"]),
		"migrated/00042/deep/b e.bin": md5b64(string(partSums)) + "-3",
		"migrated/single.txt":         md5b64(files["single.txt"]),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects and their listing MD5s (-want +got):\n%s", diff)
	}
	// Uploading again into the existing bucket replaces the objects.
	stdout.Reset()
	if code := run(context.Background(), []string{"upload", "--endpoint", env.Endpoint, "--config-file", env.ConfigFile, "--profile", env.Profile,
		"--bucket", "us-users", "--create-bucket", filepath.Join(dir, "single.txt")}, &stdout, io.Discard); code != 0 {
		t.Errorf("a second upload: exit %d", code)
	}
	// Usage errors and a missing bucket.
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"upload"}, 2},
		{[]string{"upload", "--bucket", "b"}, 2},
		{[]string{"upload", "--endpoint", env.Endpoint, "--config-file", env.ConfigFile, "--profile", env.Profile, "--bucket", "absent", filepath.Join(dir, "single.txt")}, 1},
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), tc.args, io.Discard, &errOut); code != tc.code {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, code, tc.code, errOut.String())
		}
		if strings.Contains(errOut.String(), "Oracle support") {
			t.Errorf("%q: SDK boilerplate in %q", tc.args, errOut.String())
		}
	}
}
