package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"
)

func TestHelpExplainsSDKAndCLI(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, s := range []string{"client.Host", "oci --config-file", "--endpoint", "openssl genrsa", "--init", "--data-dir", "--rate-429"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("--help does not mention %q", s)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},                                   // no key
		{"--public-key", "/nonexistent.pem"}, // unreadable key
		{"--init", t.TempDir(), "--rate-429", "0.8", "--rate-500", "0.5"}, // rates above 1
		{"--no-such-flag"},
		{"--init", t.TempDir(), "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%q exited %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

// TestServesWithAnInitKey starts the command with --init, talks to it with
// the SDK through the config file it wrote, stops it, and starts it again
// with the same folder and --data-dir: the key and the bucket are kept.
func TestServesWithAnInitKey(t *testing.T) {
	dir := t.TempDir()
	serve := func(do func(client objectstorage.ObjectStorageClient)) {
		ctx, cancel := context.WithCancel(context.Background())
		out, w := io.Pipe()
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--init", filepath.Join(dir, "oci"), "--data-dir", filepath.Join(dir, "data"), "--log-level", "warn"}, w, io.Discard)
			w.Close()
		}()
		lines := bufio.NewScanner(out)
		var endpoint string
		for endpoint == "" && lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "ocilocal listening on "); ok {
				endpoint = strings.Fields(rest)[0]
			}
		}
		go io.Copy(io.Discard, out)
		if endpoint == "" {
			t.Fatal("the command never said where it listens")
		}
		p, err := common.ConfigurationProviderFromFileWithProfile(filepath.Join(dir, "oci", "config"), "DEFAULT", "")
		if err != nil {
			t.Fatal(err)
		}
		client, err := objectstorage.NewObjectStorageClientWithConfigurationProvider(p)
		if err != nil {
			t.Fatal(err)
		}
		noRetry := common.NoRetryPolicy()
		client.SetCustomClientConfiguration(common.CustomClientConfiguration{RetryPolicy: &noRetry})
		client.Host = endpoint
		do(client)
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("the command exited %d after cancel", code)
		}
	}
	ns := common.String("ocilocal")
	serve(func(c objectstorage.ObjectStorageClient) {
		_, err := c.CreateBucket(context.Background(), objectstorage.CreateBucketRequest{NamespaceName: ns,
			CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String("kept"), CompartmentId: common.String("c")}})
		if err != nil {
			t.Fatal(err)
		}
	})
	serve(func(c objectstorage.ObjectStorageClient) {
		b, err := c.GetBucket(context.Background(), objectstorage.GetBucketRequest{NamespaceName: ns, BucketName: common.String("kept")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("kept", *b.Name); diff != "" {
			t.Errorf("bucket after a restart (-want +got):\n%s", diff)
		}
	})
}
