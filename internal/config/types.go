package config

import (
	"fmt"
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
	// OCI only.
	Namespace  string
	Auth       string // api_key, instance_principal or resource_principal
	ConfigFile string // api_key only
	Profile    string // api_key only
}

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
	// LeaseTTL is how long the state location's lease (and a shard's)
	// lasts unless renewed; its holder renews it every third of it. A run
	// killed on s3:// or oci:// blocks others until its lease expires; on
	// file:// the lease ends with the process.
	LeaseTTL time.Duration
}

// Defaults for what the file may leave out.
const (
	DefaultState           = "file://./parityproof-state"
	DefaultReports         = "file://./parityproof-reports"
	DefaultWorkers         = 4
	DefaultShardSize       = 100_000
	DefaultCheckpointEvery = 5_000
	DefaultPageSize        = 1000
	DefaultLeaseTTL        = 2 * time.Minute
	// MinLeaseTTL keeps renewals (every third of the TTL) far from the
	// time a request may take.
	MinLeaseTTL = 10 * time.Second
)

// Pair returns the pair named name.
func (c *Config) Pair(name string) (Pair, error) {
	for _, p := range c.Pairs {
		if p.Name == name {
			return p, nil
		}
	}
	return Pair{}, fmt.Errorf("pair %q: %w in %s", name, ErrNotFound, c.Path)
}
