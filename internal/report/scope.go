package report

import (
	"github.com/parityproof/parityproof/internal/config"
)

// Scope is what a run was asked to verify: the stores of its pairs and the
// policy it judged by, as the configuration says.
type Scope struct {
	// ConfigDigest is the SHA-256 of the configuration the scope was read
	// from. It differs from the report's config_digest when the file
	// changed after the run.
	ConfigDigest string       `json:"config_digest"`
	Stores       []StoreScope `json:"stores"`
	Policy       PolicyScope  `json:"policy"`
	// State and Reports are the state and reports locations.
	State   string `json:"state"`
	Reports string `json:"reports"`
}

// StoreScope is one store of a pair.
type StoreScope struct {
	Pair      string `json:"pair"`
	Role      string `json:"role"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Namespace string `json:"namespace,omitempty"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix,omitempty"`
	Region    string `json:"region,omitempty"`
	// Endpoint is set for S3-compatible stores and local emulators.
	Endpoint string `json:"endpoint,omitempty"`
}

// PolicyScope is the verification policy.
type PolicyScope struct {
	DeepVerifyBudget        int64    `json:"deep_verify_budget"`
	AllowedTargetRegions    []string `json:"allowed_target_regions,omitempty"`
	AcceptAssertedChecksums bool     `json:"accept_asserted_checksums"`
}

// scopeOf lists the stores of the reported pairs, in the report's pair
// order: each pair's legacy stores, then its target.
func scopeOf(cfg *config.Config, pairs []PairReport) Scope {
	s := Scope{
		ConfigDigest: cfg.Digest,
		Stores:       []StoreScope{},
		Policy: PolicyScope{
			DeepVerifyBudget:        cfg.Policy.DeepVerifyBudget,
			AllowedTargetRegions:    cfg.Policy.AllowedTargetRegions,
			AcceptAssertedChecksums: cfg.Policy.AcceptAssertedChecksums,
		},
		State:   cfg.State.String(),
		Reports: cfg.Reports.String(),
	}
	add := func(pair, role, name string) {
		st, ok := cfg.Stores[name]
		if !ok {
			s.Stores = append(s.Stores, StoreScope{Pair: pair, Role: role, Name: name})
			return
		}
		s.Stores = append(s.Stores, StoreScope{
			Pair: pair, Role: role, Name: name, Type: string(st.Type), Namespace: st.Namespace,
			Bucket: st.Bucket, Prefix: st.Prefix, Region: st.Region, Endpoint: st.Endpoint,
		})
	}
	for _, p := range pairs {
		for _, l := range p.Legacy {
			add(p.Name, "legacy", l)
		}
		if p.Target != "" {
			add(p.Name, "target", p.Target)
		}
	}
	return s
}
