package config

import (
	"fmt"
	"runtime"
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
}

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
	// HeadConcurrency is the number of HEADs and content reads one shard
	// keeps in flight.
	HeadConcurrency int
	// ReadBytesInFlight bounds the bytes of the content reads one process
	// has in flight, across its shards.
	ReadBytesInFlight int64
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
	// MaxHeadConcurrency bounds run.head_concurrency.
	MaxHeadConcurrency = 1024
)

// DefaultWorkers is the number of shards a process verifies at once when
// run.workers is not set: four per CPU the process may use, at least 8 (so
// that at least 16 listings are in flight for a pair of two stores, twice
// rclone's default checkers) and at most 32.
func DefaultWorkers() int { return min(32, max(8, 4*runtime.GOMAXPROCS(0))) }

// Pair returns the pair named name.
func (c *Config) Pair(name string) (Pair, error) {
	for _, p := range c.Pairs {
		if p.Name == name {
			return p, nil
		}
	}
	return Pair{}, fmt.Errorf("pair %q: %w in %s", name, ErrNotFound, c.Path)
}
