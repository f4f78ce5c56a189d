package config

import (
	"fmt"
	"runtime"
	"time"
)

// Config is a validated configuration.
type Config struct {
	// Path is the file the configuration came from; Digest the SHA-256 of
	// its bytes, reported with every run.
	Path   string
	Digest string
	// Stores by name, and their names in the order the file gives them.
	Stores     map[string]Store
	StoreNames []string
	Pairs      []Pair
	State      Location
	Reports    Location
	Policy     Policy
	Run        RunOptions
	Notify     Notify
	// Signing, when set, signs every published report's root digest.
	Signing Signing
}

// Signing says which key signs the root digest of every published report
// (report.json, the manifest and the run record together), so that
// attest verify can check with the public key alone that the report is
// the one this deployment published. At most one key is named.
type Signing struct {
	// KMSKey is an AWS KMS asymmetric signing key (KeyUsage SIGN_VERIFY,
	// an ECC_NIST_* or RSA_* key spec): its ARN, or an alias ARN.
	KMSKey string
	// Region is the KMS key's region; "" takes it from the ARN.
	Region string
	// Endpoint replaces KMS's endpoint (a local emulator).
	Endpoint string
	// KeyFile is a local Ed25519 private key (PKCS#8 PEM, as
	// "openssl genpkey -algorithm ed25519" writes it): its absolute path.
	KeyFile string
}

// Enabled reports whether a signing key is configured.
func (s Signing) Enabled() bool { return s.KMSKey != "" || s.KeyFile != "" }

// Notify says whom to tell when a report is published.
type Notify struct {
	// SNSTopic is the ARN of an SNS topic that receives each report's
	// summary and location; "" for none.
	SNSTopic string
	// Endpoint replaces SNS's endpoint (a local emulator).
	Endpoint string
}

// StoreType is the kind of a store.
type StoreType string

// Kinds of store.
const (
	S3  StoreType = "s3"
	OCI StoreType = "oci"
)

// Store is one store's configuration.
type Store struct {
	Name     string
	Type     StoreType
	Bucket   string
	Prefix   string
	Region   string
	Endpoint string
	// S3 only.
	PathStyle bool
	// Profile is, for an S3 store, the AWS profile of the shared
	// configuration and credentials files its credentials come from; for
	// an OCI store (api_key only), the OCI configuration file's profile.
	Profile string
	// S3 only: the store's identity (DESIGN.md, Configuration). Every
	// field is optional; none means the default AWS credential chain.
	// AccessKeyIDEnv, SecretAccessKeyEnv and SessionTokenEnv name
	// environment variables holding a key pair, never the keys.
	AccessKeyIDEnv, SecretAccessKeyEnv, SessionTokenEnv string
	// CredentialsSecret names a Secrets Manager secret holding a key pair
	// ({"access_key_id", "secret_access_key"[, "session_token"]}); the
	// Lambda functions read it (internal/lambdaenv), nothing else does.
	CredentialsSecret string
	// RoleARN is a role the credentials above assume (STS AssumeRole);
	// ExternalID, RoleSessionName and STSEndpoint go with it.
	RoleARN, ExternalID, RoleSessionName, STSEndpoint string
	// CABundle is the absolute path of a PEM file of the certificate
	// authorities the endpoint's certificate must chain to, instead of the
	// system's.
	CABundle string
	// CredentialsFile is not in the file: the Lambda functions set it,
	// with Profile, to where they wrote CredentialsSecret's key pair.
	CredentialsFile string
	// Baseline names the S3 Inventory of a legacy S3 store that its
	// first run judges keys deleted before it from; nil for none.
	Baseline *Baseline
	// OCI only.
	Namespace  string
	Auth       string // api_key, instance_principal or resource_principal
	ConfigFile string // api_key only
	// KeySecret (api_key only) names a Secrets Manager secret holding the
	// store's API key ({"tenancy", "user", "private_key"[, "region"]});
	// the Lambda functions read it, nothing else does.
	KeySecret string
}

// Baseline names an Amazon S3 Inventory report (its manifest.json):
// s3://BUCKET/KEY?region=…&endpoint=…&path_style=… in the inventory's
// destination bucket, read with the store's identity, or file://PATH, a
// local copy laid out like the destination bucket.
type Baseline struct {
	// Raw is the baseline as written.
	Raw    string
	Scheme string // "s3" or "file"
	// Bucket and Key locate an s3 manifest; Region, Endpoint and PathStyle
	// reach it (an empty Region is the store's).
	Bucket, Key, Region, Endpoint string
	PathStyle                     bool
	// Path is a file manifest's absolute path.
	Path string
}

// String returns the baseline as written.
func (b Baseline) String() string { return b.Raw }

// OCI authentication methods.
const (
	AuthAPIKey            = "api_key"
	AuthInstancePrincipal = "instance_principal"
	AuthResourcePrincipal = "resource_principal"
)

// Pair is one migration: legacy stores and their target.
type Pair struct {
	Name   string
	Legacy []string
	Target string
}

// Policy holds the verification choices.
type Policy struct {
	// DeepVerifyBudget is the number of bytes a run may read to settle what
	// metadata cannot; 0 means never read content.
	DeepVerifyBudget int64
	// AllowedTargetRegions lists the regions targets may be in; empty means
	// any.
	AllowedTargetRegions    []string
	AcceptAssertedChecksums bool
}

// RunOptions tune how a run proceeds.
type RunOptions struct {
	// Workers is the number of shards verified at once.
	Workers int
	// ShardSize is the number of keys a planned shard aims at.
	ShardSize int
	// CheckpointEvery is the number of ledger entries between checkpoints.
	CheckpointEvery int
	// PageSize is the listing page size asked of stores.
	PageSize int
	// HeadConcurrency is the number of HEADs and content reads one shard
	// keeps in flight.
	HeadConcurrency int
	// ReadBytesInFlight bounds the bytes of the content reads one process
	// has in flight, across its shards.
	ReadBytesInFlight int64
	// LeaseTTL is how long the state location's lease (and a shard's)
	// lasts unless renewed; its holder renews it every third of it. A run
	// killed on s3:// or oci:// blocks others until its lease expires; on
	// file:// the lease ends with the process.
	LeaseTTL time.Duration
}

// Defaults for what the file may leave out.
const (
	DefaultState             = "file://./parityproof-state"
	DefaultReports           = "file://./parityproof-reports"
	DefaultShardSize         = 100_000
	DefaultCheckpointEvery   = 5_000
	DefaultPageSize          = 1000
	DefaultHeadConcurrency   = 32
	DefaultReadBytesInFlight = 256 << 20
	DefaultLeaseTTL          = 2 * time.Minute
	// MaxHeadConcurrency bounds run.head_concurrency.
	MaxHeadConcurrency = 1024
	// MinLeaseTTL keeps renewals (every third of the TTL) far from the
	// time a request may take.
	MinLeaseTTL = 10 * time.Second
)

// DefaultWorkers is the number of shards a process verifies at once when
// run.workers is not set: two per CPU the process may use, at least 4 (so
// that a pair of two stores has at least 8 listings in flight, rclone's
// default checkers) and at most 32. More is not faster where the stores
// spend CPU per listing call: on versitygw's posix backend, 8 workers
// listing a flat prefix of 100,000 keys on 2 CPUs took 35 s where 4 took
// 20 s (BENCHMARKS.md).
func DefaultWorkers() int { return min(32, max(4, 2*runtime.GOMAXPROCS(0))) }

// Pair returns the pair named name.
func (c *Config) Pair(name string) (Pair, error) {
	for _, p := range c.Pairs {
		if p.Name == name {
			return p, nil
		}
	}
	return Pair{}, fmt.Errorf("pair %q: %w in %s", name, ErrNotFound, c.Path)
}
