package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse validates a configuration held in data; path names it in errors and
// anchors relative file:// locations.
func Parse(path string, data []byte) (*Config, error) {
	p := &parser{file: path, dir: filepath.Dir(path), baselineAt: map[string]*yaml.Node{}}
	sum := sha256.Sum256(data)
	cfg := &Config{Path: path, Digest: hex.EncodeToString(sum[:]), Stores: map[string]Store{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: path, Problems: []Problem{yamlProblem(err)}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: path, Problems: []Problem{{Message: "the file is empty; it needs at least stores and pairs"}}}
	}
	p.config(doc.Content[0], cfg)
	if len(p.problems) > 0 {
		return nil, &Error{File: path, Problems: p.problems}
	}
	return cfg, nil
}

// yamlProblem reports a YAML syntax error where the parser found it: its
// own line and column, and what it was parsing ("while parsing a block
// mapping at line 2, column 3"), which for a mis-indented line is where
// the mapping it breaks began.
func yamlProblem(err error) Problem {
	var le *yaml.LoadError
	if !errors.As(err, &le) {
		return Problem{Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	pr := Problem{Line: le.Mark.Line, Column: le.Mark.Column, Message: "not valid YAML: " + le.Message}
	if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark != le.Mark {
		pr.Message += fmt.Sprintf(" (%s that begins at line %d, column %d", le.ContextMsg, le.ContextMark.Line, le.ContextMark.Column)
		if strings.Contains(le.ContextMsg, "block") {
			pr.Message += "; check this line's indentation"
		}
		pr.Message += ")"
	}
	return pr
}

type parser struct {
	file     string
	dir      string
	problems []Problem
	// baselineAt holds the baseline field of each store that has one, by
	// the store's path ("stores.legacy-us").
	baselineAt map[string]*yaml.Node
}

func (p *parser) problem(n *yaml.Node, field, format string, args ...any) {
	pr := Problem{Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

// fields walks a mapping, handing each known key's value to its handler and
// reporting unknown, repeated and missing keys.
func (p *parser) fields(n *yaml.Node, path string, handlers map[string]func(*yaml.Node, string), required ...string) {
	if n.Kind != yaml.MappingNode {
		p.problem(n, path, "must be a mapping of fields, not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if seen[k.Value] {
			p.problem(k, field, "appears twice")
			continue
		}
		seen[k.Value] = true
		h, ok := handlers[k.Value]
		if !ok {
			p.problem(k, field, "unknown field (known: %s)", strings.Join(sortedKeys(handlers), ", "))
			continue
		}
		h(v, field)
	}
	for _, r := range required {
		if !seen[r] {
			p.problem(n, join(path, r), "is required")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (p *parser) str(n *yaml.Node, field string, dst *string) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.problem(n, field, "must be a string, not %s", kindName(n))
		return
	}
	*dst = n.Value
}

func (p *parser) boolean(n *yaml.Node, field string, dst *bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.problem(n, field, "must be true or false, not %s", kindName(n))
		return
	}
	*dst = n.Value == "true"
}

func (p *parser) positive(n *yaml.Node, field string, dst *int) {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v < 1 {
		p.problem(n, field, "must be a whole number of at least 1, not %s", kindName(n))
		return
	}
	*dst = v
}

func (p *parser) strings(n *yaml.Node, field string, dst *[]string) {
	if n.Kind != yaml.SequenceNode {
		p.problem(n, field, "must be a list, not %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		var s string
		p.str(item, fmt.Sprintf("%s[%d]", field, i), &s)
		*dst = append(*dst, s)
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (p *parser) config(root *yaml.Node, cfg *Config) {
	state, reports := DefaultState, DefaultReports
	var stateNode, reportsNode *yaml.Node
	cfg.Run = RunOptions{Workers: DefaultWorkers(), ShardSize: DefaultShardSize, CheckpointEvery: DefaultCheckpointEvery, PageSize: DefaultPageSize,
		HeadConcurrency: DefaultHeadConcurrency, ReadBytesInFlight: DefaultReadBytesInFlight, LeaseTTL: DefaultLeaseTTL}
	var pairsNode *yaml.Node
	p.fields(root, "", map[string]func(*yaml.Node, string){
		"stores": func(n *yaml.Node, field string) { p.stores(n, field, cfg) },
		"pairs":  func(n *yaml.Node, field string) { pairsNode = n },
		"state":  func(n *yaml.Node, field string) { stateNode = n; p.str(n, field, &state) },
		"reports": func(n *yaml.Node, field string) {
			reportsNode = n
			p.str(n, field, &reports)
		},
		"policy":  func(n *yaml.Node, field string) { p.policy(n, field, &cfg.Policy) },
		"run":     func(n *yaml.Node, field string) { p.run(n, field, &cfg.Run) },
		"notify":  func(n *yaml.Node, field string) { p.notify(n, field, &cfg.Notify) },
		"signing": func(n *yaml.Node, field string) { p.signing(n, field, &cfg.Signing) },
	}, "stores", "pairs")
	if pairsNode != nil {
		p.pairs(pairsNode, "pairs", cfg)
		p.regions(pairsNode, cfg)
		p.baselines(cfg)
	}
	var err error
	if cfg.State, err = ParseLocation(state, p.dir); err != nil {
		p.problem(stateNode, "state", "%v", err)
	}
	if cfg.Reports, err = ParseLocation(reports, p.dir); err != nil {
		p.problem(reportsNode, "reports", "%v", err)
	}
}

func (p *parser) stores(n *yaml.Node, path string, cfg *Config) {
	if n.Kind != yaml.MappingNode {
		p.problem(n, path, "must map store names to stores, not %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		p.problem(n, path, "names no store")
	}
	lines := map[string]int{} // where each store is first defined
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if !nameRE.MatchString(k.Value) {
			p.problem(k, field, "store names use letters, digits, '.', '_' and '-', starting with a letter or digit")
			continue
		}
		if first, dup := lines[k.Value]; dup {
			p.problem(k, field, "a store of this name is already defined at line %d; this second definition is checked, then ignored", first)
			p.store(v, field)
			continue
		}
		lines[k.Value] = k.Line
		s := p.store(v, field)
		s.Name = k.Value
		cfg.Stores[k.Value] = s
		cfg.StoreNames = append(cfg.StoreNames, k.Value)
	}
}

// The patterns below leave long bounded repetitions such as {1,256} to a
// length check in code: the regexp package compiles such a repetition into
// one instruction per repeat, and every pattern here is compiled when the
// program starts, whichever command it runs. (`^[A-Za-z0-9._-]{1,256}$`
// allocates 241 KB in 3,358 allocations; with + it allocates about 1 KB.)
var (
	s3BucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ociBucketRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
)

// validOCIBucket reports whether s can be an OCI bucket's name: 1 to 256
// letters, digits, '.', '_' and '-'.
func validOCIBucket(s string) bool { return len(s) <= 256 && ociBucketRE.MatchString(s) }

func (p *parser) store(n *yaml.Node, path string) Store {
	var s Store
	var typ string
	nodes := map[string]*yaml.Node{}
	set := func(name string, dst *string) func(*yaml.Node, string) {
		return func(n *yaml.Node, field string) { nodes[name] = n; p.str(n, field, dst) }
	}
	var baseline string
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"type":                  set("type", &typ),
		"bucket":                set("bucket", &s.Bucket),
		"prefix":                set("prefix", &s.Prefix),
		"region":                set("region", &s.Region),
		"endpoint":              set("endpoint", &s.Endpoint),
		"path_style":            func(n *yaml.Node, field string) { nodes["path_style"] = n; p.boolean(n, field, &s.PathStyle) },
		"profile":               set("profile", &s.Profile),
		"access_key_id_env":     set("access_key_id_env", &s.AccessKeyIDEnv),
		"secret_access_key_env": set("secret_access_key_env", &s.SecretAccessKeyEnv),
		"session_token_env":     set("session_token_env", &s.SessionTokenEnv),
		"credentials_secret":    set("credentials_secret", &s.CredentialsSecret),
		"role_arn":              set("role_arn", &s.RoleARN),
		"external_id":           set("external_id", &s.ExternalID),
		"role_session_name":     set("role_session_name", &s.RoleSessionName),
		"sts_endpoint":          set("sts_endpoint", &s.STSEndpoint),
		"ca_bundle":             set("ca_bundle", &s.CABundle),
		"baseline":              set("baseline", &baseline),
		"namespace":             set("namespace", &s.Namespace),
		"auth":                  set("auth", &s.Auth),
		"config_file":           set("config_file", &s.ConfigFile),
		"key_secret":            set("key_secret", &s.KeySecret),
	}, "type", "bucket", "region")
	if n.Kind != yaml.MappingNode {
		return s
	}
	s.Type = StoreType(typ)
	only := func(kind StoreType, fields ...string) {
		for _, f := range fields {
			if fn, ok := nodes[f]; ok {
				p.problem(fn, join(path, f), "applies to %s stores only; this store is of type %s", kind, s.Type)
			}
		}
	}
	switch s.Type {
	case S3:
		only(OCI, "namespace", "auth", "config_file", "key_secret")
		if s.Bucket != "" && !s3BucketRE.MatchString(s.Bucket) {
			p.problem(nodes["bucket"], join(path, "bucket"), "%q is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')", s.Bucket)
		}
		p.identity(nodes, path, &s)
		if bn := nodes["baseline"]; bn != nil && baseline != "" {
			p.baselineAt[path] = bn
			b, err := parseBaseline(baseline, p.dir)
			if err != nil {
				p.problem(bn, join(path, "baseline"), "%v", err)
			}
			s.Baseline = b
		}
	case OCI:
		only(S3, "path_style", "access_key_id_env", "secret_access_key_env", "session_token_env", "credentials_secret",
			"role_arn", "external_id", "role_session_name", "sts_endpoint", "ca_bundle", "baseline")
		if _, ok := nodes["namespace"]; !ok {
			p.problem(n, join(path, "namespace"), "is required for oci stores")
		}
		if s.Bucket != "" && !validOCIBucket(s.Bucket) {
			p.problem(nodes["bucket"], join(path, "bucket"), "%q is not an OCI bucket name (letters, digits, '.', '_' and '-')", s.Bucket)
		}
		validAuth := true
		switch s.Auth {
		case "":
			s.Auth = AuthAPIKey
		case AuthAPIKey, AuthInstancePrincipal, AuthResourcePrincipal:
		default:
			validAuth = false
			p.problem(nodes["auth"], join(path, "auth"), "%q is not an authentication method (api_key, instance_principal or resource_principal)", s.Auth)
		}
		if validAuth && s.Auth != AuthAPIKey {
			for _, f := range []string{"config_file", "profile", "key_secret"} {
				if fn, ok := nodes[f]; ok {
					p.problem(fn, join(path, f), "applies to auth api_key only; this store uses %s", s.Auth)
				}
			}
		}
		if kn := nodes["key_secret"]; kn != nil && s.Auth == AuthAPIKey {
			if !validSecret(s.KeySecret) {
				p.problem(kn, join(path, "key_secret"), "%q is not a Secrets Manager secret's name or ARN", s.KeySecret)
			}
			for _, f := range []string{"config_file", "profile"} {
				if fn, ok := nodes[f]; ok {
					p.problem(fn, join(path, f), "cannot go with key_secret: the Lambda functions sign with the key in the secret")
				}
			}
		}
		if s.Auth == AuthAPIKey && s.KeySecret == "" {
			if s.ConfigFile == "" {
				s.ConfigFile = "~/.oci/config"
			}
			if s.Profile == "" {
				s.Profile = "DEFAULT"
			}
		}
	case "":
	default:
		p.problem(nodes["type"], join(path, "type"), "%q is not a store type (s3 or oci)", typ)
	}
	if s.Region != "" && !regionRE.MatchString(s.Region) {
		p.problem(nodes["region"], join(path, "region"), "%q is not a region name (like us-east-1 or us-ashburn-1)", s.Region)
	}
	if s.Endpoint != "" {
		if err := checkEndpoint(s.Endpoint); err != nil {
			p.problem(nodes["endpoint"], join(path, "endpoint"), "%v", err)
		}
	}
	return s
}

func (p *parser) pairs(n *yaml.Node, path string, cfg *Config) {
	if n.Kind != yaml.SequenceNode {
		p.problem(n, path, "must be a list of pairs, not %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		p.problem(n, path, "names no pair")
	}
	names := map[string]bool{}
	for i, item := range n.Content {
		field := fmt.Sprintf("%s[%d]", path, i)
		var pr Pair
		nodes := map[string]*yaml.Node{}
		p.fields(item, field, map[string]func(*yaml.Node, string){
			"name":   func(n *yaml.Node, f string) { nodes["name"] = n; p.str(n, f, &pr.Name) },
			"legacy": func(n *yaml.Node, f string) { nodes["legacy"] = n; p.strings(n, f, &pr.Legacy) },
			"target": func(n *yaml.Node, f string) { nodes["target"] = n; p.str(n, f, &pr.Target) },
		}, "name", "legacy", "target")
		if item.Kind != yaml.MappingNode {
			continue
		}
		if pr.Name != "" {
			if !nameRE.MatchString(pr.Name) {
				p.problem(nodes["name"], field+".name", "pair names use letters, digits, '.', '_' and '-', starting with a letter or digit")
			}
			if names[pr.Name] {
				p.problem(nodes["name"], field+".name", "another pair is already named %q", pr.Name)
			}
			names[pr.Name] = true
		}
		if ln := nodes["legacy"]; ln != nil && ln.Kind == yaml.SequenceNode && len(pr.Legacy) == 0 {
			p.problem(ln, field+".legacy", "names no legacy store")
		}
		seen := map[string]bool{}
		for j, l := range pr.Legacy {
			lf := fmt.Sprintf("%s.legacy[%d]", field, j)
			ln := nodes["legacy"].Content[j]
			if _, ok := cfg.Stores[l]; !ok {
				p.problem(ln, lf, "no store is named %q (stores: %s)", l, strings.Join(cfg.StoreNames, ", "))
			}
			if seen[l] {
				p.problem(ln, lf, "names store %q twice", l)
			}
			seen[l] = true
			if l == pr.Target {
				p.problem(ln, lf, "store %q cannot be both a legacy store and the target", l)
			}
		}
		if pr.Target != "" {
			if _, ok := cfg.Stores[pr.Target]; !ok {
				p.problem(nodes["target"], field+".target", "no store is named %q (stores: %s)", pr.Target, strings.Join(cfg.StoreNames, ", "))
			}
		}
		cfg.Pairs = append(cfg.Pairs, pr)
	}
}

// regions checks every pair's target against the policy's allowed
// regions: a copy outside them is never silently accepted.
func (p *parser) regions(pairs *yaml.Node, cfg *Config) {
	allowed := cfg.Policy.AllowedTargetRegions
	if len(allowed) == 0 || pairs.Kind != yaml.SequenceNode {
		return
	}
	for i, pr := range cfg.Pairs {
		t, ok := cfg.Stores[pr.Target]
		if !ok || t.Region == "" || slices.Contains(allowed, t.Region) {
			continue
		}
		node := pairs.Content[i]
		for j := 0; j+1 < len(node.Content); j += 2 {
			if node.Content[j].Value == "target" {
				node = node.Content[j+1]
			}
		}
		p.problem(node, fmt.Sprintf("pairs[%d].target", i), "store %q is in region %s, outside policy.allowed_target_regions (%s)", pr.Target, t.Region, strings.Join(allowed, ", "))
	}
}

func (p *parser) policy(n *yaml.Node, path string, pol *Policy) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"deep_verify_budget": func(n *yaml.Node, f string) {
			var s string
			p.str(n, f, &s)
			if s == "" {
				return
			}
			v, err := ParseSize(s)
			if err != nil {
				p.problem(n, f, "%v", err)
			}
			pol.DeepVerifyBudget = v
		},
		"allowed_target_regions": func(n *yaml.Node, f string) {
			p.strings(n, f, &pol.AllowedTargetRegions)
			for i, r := range pol.AllowedTargetRegions {
				if !regionRE.MatchString(r) {
					p.problem(n.Content[i], fmt.Sprintf("%s[%d]", f, i), "%q is not a region name (like us-ashburn-1)", r)
				}
			}
		},
		"accept_asserted_checksums": func(n *yaml.Node, f string) { p.boolean(n, f, &pol.AcceptAssertedChecksums) },
	})
}

var snsTopicRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9_-]+)$`)

// validSNSTopic reports whether s can be an SNS topic's ARN, whose name is
// 1 to 256 letters, digits, '_' and '-'.
func validSNSTopic(s string) bool {
	m := snsTopicRE.FindStringSubmatch(s)
	return m != nil && len(m[1]) <= 256
}

func (p *parser) notify(n *yaml.Node, path string, nt *Notify) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"sns_topic": func(n *yaml.Node, f string) {
			p.str(n, f, &nt.SNSTopic)
			if nt.SNSTopic != "" && !validSNSTopic(nt.SNSTopic) {
				p.problem(n, f, "%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", nt.SNSTopic)
			}
		},
		"endpoint": func(n *yaml.Node, f string) {
			p.str(n, f, &nt.Endpoint)
			if err := checkEndpoint(nt.Endpoint); err != nil {
				p.problem(n, f, "%v", err)
			}
		},
	}, "sns_topic")
}

func (p *parser) run(n *yaml.Node, path string, r *RunOptions) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"workers":          func(n *yaml.Node, f string) { p.positive(n, f, &r.Workers) },
		"shard_size":       func(n *yaml.Node, f string) { p.positive(n, f, &r.ShardSize) },
		"checkpoint_every": func(n *yaml.Node, f string) { p.positive(n, f, &r.CheckpointEvery) },
		"page_size": func(n *yaml.Node, f string) {
			p.positive(n, f, &r.PageSize)
			if r.PageSize > 1000 {
				p.problem(n, f, "is %d; stores list at most 1000 objects a page", r.PageSize)
			}
		},
		"head_concurrency": func(n *yaml.Node, f string) {
			p.positive(n, f, &r.HeadConcurrency)
			if r.HeadConcurrency > MaxHeadConcurrency {
				p.problem(n, f, "is %d; at most %d requests per shard may be in flight", r.HeadConcurrency, MaxHeadConcurrency)
			}
		},
		"read_bytes_in_flight": func(n *yaml.Node, f string) {
			var s string
			if p.str(n, f, &s); n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
				return
			}
			v, err := ParseSize(s)
			switch {
			case err != nil:
				p.problem(n, f, "%v", err)
			case v < 1:
				p.problem(n, f, "is %s; content reads need at least 1 byte in flight", s)
			default:
				r.ReadBytesInFlight = v
			}
		},
		"lease_ttl": func(n *yaml.Node, f string) {
			var s string
			p.str(n, f, &s)
			if s == "" {
				return
			}
			d, err := time.ParseDuration(s)
			if err != nil || d < MinLeaseTTL {
				p.problem(n, f, "%q is not a duration of at least %s (like 2m or 90s)", s, MinLeaseTTL)
				return
			}
			r.LeaseTTL = d
		},
	})
}

var (
	kmsKeyRE = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`)
)

func (p *parser) signing(n *yaml.Node, path string, sg *Signing) {
	nodes := map[string]*yaml.Node{}
	var keyFile string
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"kms_key":  func(n *yaml.Node, f string) { nodes["kms_key"] = n; p.str(n, f, &sg.KMSKey) },
		"region":   func(n *yaml.Node, f string) { nodes["region"] = n; p.str(n, f, &sg.Region) },
		"endpoint": func(n *yaml.Node, f string) { nodes["endpoint"] = n; p.str(n, f, &sg.Endpoint) },
		"key_file": func(n *yaml.Node, f string) { nodes["key_file"] = n; p.str(n, f, &keyFile) },
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	switch {
	case sg.KMSKey != "" && keyFile != "":
		p.problem(nodes["key_file"], join(path, "key_file"), "name either kms_key or key_file, not both")
	case sg.KMSKey == "" && keyFile == "":
		p.problem(n, path, "names no key: set kms_key (an AWS KMS asymmetric key's ARN) or key_file (a local Ed25519 private key)")
	}
	if sg.KMSKey != "" {
		m := kmsKeyRE.FindStringSubmatch(sg.KMSKey)
		if m == nil {
			p.problem(nodes["kms_key"], join(path, "kms_key"), "%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or alias/NAME)", sg.KMSKey)
		} else if sg.Region == "" {
			sg.Region = m[1]
		}
	}
	if sg.Region != "" && !regionRE.MatchString(sg.Region) {
		p.problem(nodes["region"], join(path, "region"), "%q is not a region name (like us-east-1)", sg.Region)
	}
	if sg.Endpoint != "" {
		if err := checkEndpoint(sg.Endpoint); err != nil {
			p.problem(nodes["endpoint"], join(path, "endpoint"), "%v", err)
		}
	}
	if keyFile != "" {
		for _, f := range []string{"region", "endpoint"} {
			if fn, ok := nodes[f]; ok {
				p.problem(fn, join(path, f), "applies to kms_key only")
			}
		}
		if strings.HasPrefix(keyFile, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				keyFile = filepath.Join(home, keyFile[2:])
			}
		}
		if !filepath.IsAbs(keyFile) {
			keyFile = filepath.Join(p.dir, keyFile)
		}
		if abs, err := filepath.Abs(keyFile); err == nil {
			keyFile = abs
		}
		sg.KeyFile = keyFile
	}
}
