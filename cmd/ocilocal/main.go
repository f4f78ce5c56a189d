// Command ocilocal serves a local OCI Object Storage emulator that checks
// request signatures. Run `ocilocal --help` for how to point the OCI SDK
// and CLI at it.
package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parityproof/parityproof/internal/ocilocal"
)

const usage = `ocilocal: a local OCI Object Storage emulator that checks request signatures.

Usage:
  ocilocal --init DIR [flags]              create (or reuse) a key and an OCI config file in DIR, then serve
  ocilocal --public-key FILE [flags]       serve, accepting requests signed by FILE's key
  ocilocal --oci-config FILE --profile P   serve, accepting the key of that config file profile
  ocilocal upload --bucket B [flags] PATH  upload files or folders into a bucket (ocilocal upload --help)

ocilocal speaks the Object Storage REST API (namespace, buckets, objects,
ListObjects, ListObjectVersions, multipart uploads, archive restores) on
http://ADDR. Like the real service it answers 401 NotAuthenticated to any
request that is not signed (RSA-SHA256 over date, (request-target) and host,
plus x-content-sha256, content-type and content-length on bodies) by one of
the configured keys, or whose Date is more than --max-clock-skew away. A
request's keyId is "tenancy/user/fingerprint"; only the fingerprint is
matched, any tenancy and user are accepted.

Choosing the key:
  --init DIR writes DIR/key.pem and DIR/config (profile DEFAULT, or --profile)
  the first time and reuses them afterwards. To use a key of your own:
    openssl genrsa -out key.pem 2048
    openssl rsa -pubout -in key.pem -out key_public.pem
    openssl rsa -pubout -outform DER -in key.pem | openssl md5 -c   # the fingerprint
  write the fingerprint and key_file into a profile of your OCI config file,
  and start ocilocal with --public-key key_public.pem (or key.pem: the public
  half is taken), or with --oci-config and --profile.

Pointing the OCI SDK for Go at it:
  provider, _ := common.ConfigurationProviderFromFileWithProfile("DIR/config", "DEFAULT", "")
  client, _ := objectstorage.NewObjectStorageClientWithConfigurationProvider(provider)
  client.Host = "http://127.0.0.1:8787" // set it last: SetRegion and
                                        // SetCustomClientConfiguration reset it

Putting test data into it (no oci CLI needed):
  ocilocal upload --endpoint http://127.0.0.1:8787 --config-file DIR/config \
      --bucket my-bucket --create-bucket --prefix migrated/ ./some-folder

Pointing the oci CLI at it:
  oci --config-file DIR/config --profile DEFAULT \
      --endpoint http://127.0.0.1:8787 os ns get
  oci --config-file DIR/config --endpoint http://127.0.0.1:8787 \
      os bucket create --compartment-id ocid1.compartment.oc1..local --name my-bucket

Pointing parityproof at it (a store of type oci):
  endpoint: http://127.0.0.1:8787
  namespace: ocilocal            # or --namespace
  config_file: DIR/config
  profile: DEFAULT

State is in memory unless --data-dir keeps it in a folder across restarts.
Faults (--rate-429, --rate-500, --rate-503, --reset-rate, --latency) make it
misbehave on purpose, for retry tests and benchmarks.

Flags:
`

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it serves until ctx ends and returns the exit status:
// 0 after a clean shutdown, 1 when serving failed, 2 for a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "upload" {
		return runUpload(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("ocilocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var (
		publicKeys multiFlag
		addr       = fs.String("addr", "127.0.0.1:8787", "`host:port` to listen on")
		namespace  = fs.String("namespace", "ocilocal", "the Object Storage namespace served")
		dataDir    = fs.String("data-dir", "", "keep state in this `folder` across restarts (default: in memory)")
		initDir    = fs.String("init", "", "create or reuse key.pem and config in this `folder` and accept that key")
		ociConfig  = fs.String("oci-config", "", "accept the key of --profile in this OCI config `file`")
		profile    = fs.String("profile", "DEFAULT", "profile `name` for --init and --oci-config")
		region     = fs.String("region", ocilocal.DefaultRegion, "region written into the --init config")
		skew       = fs.Duration("max-clock-skew", 5*time.Minute, "how far a request's Date may be from the clock")
		restore    = fs.Duration("restore-delay", 0, "how long an archive restore takes")
		rate429    = fs.Float64("rate-429", 0, "fraction of requests answered 429 TooManyRequests")
		rate500    = fs.Float64("rate-500", 0, "fraction of requests answered 500 InternalServerError")
		rate503    = fs.Float64("rate-503", 0, "fraction of requests answered 503 ServiceUnavailable")
		resetRate  = fs.Float64("reset-rate", 0, "fraction of connections reset without an answer")
		latency    = fs.Duration("latency", 0, "latency added to every request")
		faultOps   = fs.String("fault-ops", "", "comma-separated `operations` the faults apply to (default: all), e.g. ListObjects,GetObject")
		seed       = fs.Uint64("fault-seed", 0, "seed of the fault draws (0: random)")
		logLevel   = fs.String("log-level", "info", "debug (one line per request), info, warn or error")
		logJSON    = fs.Bool("log-json", false, "log JSON lines instead of text")
	)
	fs.Var(&publicKeys, "public-key", "accept requests signed by the key in this PEM `file` (public or private key; repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ocilocal: unexpected arguments %q\n", fs.Args())
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "ocilocal: --log-level: %v\n", err)
		return 2
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if *logJSON {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(handler)

	var keys []*rsa.PublicKey
	for _, f := range publicKeys {
		k, err := ocilocal.ReadPublicKeyFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "ocilocal: --public-key: %v\n", err)
			return 2
		}
		keys = append(keys, k)
	}
	if *ociConfig != "" {
		k, err := profileKey(*ociConfig, *profile)
		if err != nil {
			fmt.Fprintf(stderr, "ocilocal: --oci-config: %v\n", err)
			return 2
		}
		keys = append(keys, k)
	}
	if *initDir != "" {
		k, configPath, err := initKey(*initDir, *profile, *region)
		if err != nil {
			fmt.Fprintf(stderr, "ocilocal: --init: %v\n", err)
			return 2
		}
		keys = append(keys, k)
		fmt.Fprintf(stdout, "OCI config: %s (profile %s)\n", configPath, *profile)
	}
	if len(keys) == 0 {
		fmt.Fprintln(stderr, "ocilocal: no key: give --init DIR, --public-key FILE or --oci-config FILE (see --help)")
		return 2
	}
	faults := ocilocal.Faults{Rate429: *rate429, Rate500: *rate500, Rate503: *rate503, ResetRate: *resetRate, Latency: *latency, Seed: *seed}
	if *faultOps != "" {
		faults.Operations = strings.Split(*faultOps, ",")
	}
	if sum := faults.Rate429 + faults.Rate500 + faults.Rate503; sum > 1 || faults.Rate429 < 0 || faults.Rate500 < 0 || faults.Rate503 < 0 || faults.ResetRate < 0 || faults.ResetRate > 1 {
		fmt.Fprintln(stderr, "ocilocal: fault rates must be from 0 to 1, and the three error rates add up to at most 1")
		return 2
	}

	srv, err := ocilocal.Listen(*addr, ocilocal.Options{
		Namespace: *namespace, Keys: keys, DataDir: *dataDir, Faults: faults,
		MaxClockSkew: *skew, RestoreDelay: *restore, Logger: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "ocilocal listening on %s (namespace %s)\n", srv.Endpoint, srv.Namespace())
	log.Info("serving", "endpoint", srv.Endpoint, "namespace", srv.Namespace(), "data_dir", *dataDir, "keys", len(keys))
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		log.Error("shutting down", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// initKey reuses DIR/key.pem or creates it, and (re)writes DIR/config.
func initKey(dir, profile, region string) (*rsa.PublicKey, string, error) {
	keyPath := filepath.Join(dir, "key.pem")
	var key *rsa.PrivateKey
	if data, err := os.ReadFile(keyPath); err == nil {
		key, err = ocilocal.ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", keyPath, err)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		if key, err = ocilocal.GenerateKey(); err != nil {
			return nil, "", err
		}
	} else {
		return nil, "", err
	}
	configPath, err := ocilocal.WriteConfig(dir, key, ocilocal.Profile{Name: profile, Region: region})
	if err != nil {
		return nil, "", err
	}
	return &key.PublicKey, configPath, nil
}

// profileKey returns the public half of the key_file of profile in an OCI
// config file.
func profileKey(configPath, profile string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return nil, err
	}
	var in bool
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			in = line[1:len(line)-1] == profile
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if in && ok && strings.TrimSpace(k) == "key_file" {
			path := strings.TrimSpace(v)
			if rest, ok := strings.CutPrefix(path, "~/"); ok {
				home, err := os.UserHomeDir()
				if err != nil {
					return nil, err
				}
				path = filepath.Join(home, rest)
			}
			return ocilocal.ReadPublicKeyFile(path)
		}
	}
	return nil, fmt.Errorf("%s: profile [%s] has no key_file", configPath, profile)
}
