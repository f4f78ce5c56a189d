package config

import (
	"fmt"
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
}

// Defaults for what the file may leave out.
const (
	DefaultState           = "file://./parityproof-state"
	DefaultReports         = "file://./parityproof-reports"
	DefaultWorkers         = 4
	DefaultShardSize       = 100_000
	DefaultCheckpointEvery = 5_000
	DefaultPageSize        = 1000
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
