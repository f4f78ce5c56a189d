package config

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// roleARNRE: an IAM role's ARN, in any partition (aws, aws-cn, and
	// S3-compatible stores' own, such as arn:minio:iam:::role/…).
	// The role's path and name, at most 512 characters, are checked for
	// length by validRoleARN (see ociBucketRE on why not by the pattern).
	roleARNRE     = regexp.MustCompile(`^arn:[a-z0-9-]+:iam::[0-9]{0,12}:role/([\w+=,.@/-]+)$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// secretRE: a Secrets Manager secret's name or ARN.
	secretRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@:-]+$`)
)

// validSecret reports whether s can be a Secrets Manager secret's name
// or ARN.
func validSecret(s string) bool { return len(s) <= 2048 && secretRE.MatchString(s) }

// validRoleARN reports whether s can be an IAM role's ARN: its path and
// name together are 1 to 512 characters.
func validRoleARN(s string) bool {
	m := roleARNRE.FindStringSubmatch(s)
	return m != nil && len(m[1]) <= 512
}

// validSessionName reports whether s can be a role session's name: 2 to
// 64 letters, digits and +=,.@-_.
func validSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && sessionNameRE.MatchString(s)
}

// identity checks an S3 store's identity fields: at most one source of base
// credentials, key pairs named in whole, the role's companions only with a
// role, and a CA bundle that holds certificates.
func (p *parser) identity(nodes map[string]*yaml.Node, path string, s *Store) {
	problem := func(f, format string, args ...any) { p.problem(nodes[f], join(path, f), format, args...) }
	var bases []string
	for _, f := range []string{"profile", "access_key_id_env", "credentials_secret"} {
		if _, ok := nodes[f]; ok {
			bases = append(bases, f)
		}
	}
	for _, f := range bases[min(1, len(bases)):] {
		problem(f, "the store's credentials come from one of profile, access_key_id_env and credentials_secret; it already names %s", bases[0])
	}
	for _, f := range []string{"access_key_id_env", "secret_access_key_env", "session_token_env"} {
		v := map[string]string{"access_key_id_env": s.AccessKeyIDEnv, "secret_access_key_env": s.SecretAccessKeyEnv, "session_token_env": s.SessionTokenEnv}[f]
		if _, ok := nodes[f]; ok && !envNameRE.MatchString(v) {
			problem(f, "%q is not the name of an environment variable (letters, digits and '_', not starting with a digit); name the variable that holds the key, never the key", v)
		}
	}
	_, keyID := nodes["access_key_id_env"]
	_, secret := nodes["secret_access_key_env"]
	_, token := nodes["session_token_env"]
	switch {
	case keyID && !secret:
		problem("access_key_id_env", "needs secret_access_key_env: the variable holding the secret access key")
	case secret && !keyID:
		problem("secret_access_key_env", "needs access_key_id_env: the variable holding the access key id")
	case token && !keyID:
		problem("session_token_env", "goes with access_key_id_env and secret_access_key_env")
	}
	if _, ok := nodes["credentials_secret"]; ok && !validSecret(s.CredentialsSecret) {
		problem("credentials_secret", "%q is not a Secrets Manager secret's name or ARN", s.CredentialsSecret)
	}
	if _, ok := nodes["role_arn"]; ok {
		if !validRoleARN(s.RoleARN) {
			problem("role_arn", "%q is not a role's ARN (arn:aws:iam::ACCOUNT:role/NAME)", s.RoleARN)
		}
	} else {
		for _, f := range []string{"external_id", "role_session_name", "sts_endpoint"} {
			if _, ok := nodes[f]; ok {
				problem(f, "applies with role_arn only: it qualifies the role assumed")
			}
		}
	}
	if _, ok := nodes["external_id"]; ok && (len(s.ExternalID) < 2 || len(s.ExternalID) > 1224 || !externalIDRE.MatchString(s.ExternalID)) {
		problem("external_id", "is not an external id (2 to 1224 letters, digits and +=,.@:/-_)")
	}
	if _, ok := nodes["role_session_name"]; ok && !validSessionName(s.RoleSessionName) {
		problem("role_session_name", "%q is not a session name (2 to 64 letters, digits and +=,.@-_)", s.RoleSessionName)
	}
	if _, ok := nodes["sts_endpoint"]; ok {
		if err := checkEndpoint(s.STSEndpoint); err != nil {
			problem("sts_endpoint", "%v", err)
		}
	}
	if _, ok := nodes["ca_bundle"]; ok {
		bundle, err := p.caBundle(s.CABundle)
		if err != nil {
			problem("ca_bundle", "%v", err)
		}
		s.CABundle = bundle
	}
}

// remote reports whether the configuration was read from S3 or SSM rather
// than a file, so that relative paths in it mean nothing.
func (p *parser) remote() bool {
	return strings.Contains(p.file, "://") || strings.HasPrefix(p.file, "ssm:")
}

// caBundle resolves a CA bundle's path (relative to the configuration
// file's folder) and checks that it holds at least one PEM certificate.
func (p *parser) caBundle(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("names no file")
	}
	if !filepath.IsAbs(name) {
		if p.remote() {
			return name, fmt.Errorf("%q: a configuration read from %s names its CA bundle by an absolute path (a file of the function's package or a layer, /opt/…)", name, p.file)
		}
		name = filepath.Join(p.dir, name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return name, fmt.Errorf("cannot be read: %v", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return name, fmt.Errorf("%s holds no PEM certificate", name)
	}
	return name, nil
}

// parseBaseline parses a store's baseline: the manifest.json of an S3
// Inventory report, in its destination bucket or in a local copy.
func parseBaseline(s, base string) (*Baseline, error) {
	b := &Baseline{Raw: s}
	scheme, rest, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		return nil, fmt.Errorf("%q is not an S3 Inventory manifest: write s3://BUCKET/…/manifest.json or file://PATH/manifest.json", s)
	case scheme == "file":
		b.Scheme = "file"
		if strings.ContainsAny(rest, "?#") {
			return nil, fmt.Errorf("%q: a file baseline takes no query", s)
		}
		p := filepath.FromSlash(rest)
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		b.Path = filepath.Clean(p)
		if filepath.Base(b.Path) != "manifest.json" {
			return nil, fmt.Errorf("%q does not name an S3 Inventory manifest (…/manifest.json)", s)
		}
		return b, nil
	case scheme != "s3":
		return nil, fmt.Errorf("%q: scheme %q is not s3 or file", s, scheme)
	}
	b.Scheme = "s3"
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an s3://BUCKET/KEY URL", s)
	}
	b.Bucket, b.Key = u.Host, strings.TrimPrefix(u.Path, "/")
	if !s3BucketRE.MatchString(b.Bucket) {
		return nil, fmt.Errorf("%q: %q is not an S3 bucket name", s, b.Bucket)
	}
	if path.Base(b.Key) != "manifest.json" {
		return nil, fmt.Errorf("%q does not name an S3 Inventory manifest (…/manifest.json)", s)
	}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%q: query parameter %q is given %d times", s, k, len(vs))
		}
		switch v := vs[0]; k {
		case "region":
			if !regionRE.MatchString(v) {
				return nil, fmt.Errorf("%q: %q is not a region name", s, v)
			}
			b.Region = v
		case "endpoint":
			if err := checkEndpoint(v); err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
			b.Endpoint = v
		case "path_style":
			if b.PathStyle, err = strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("%q: path_style must be true or false", s)
			}
		default:
			return nil, fmt.Errorf("%q: unknown query parameter %q (region, endpoint, path_style)", s, k)
		}
	}
	return b, nil
}

// baselines checks that only legacy stores have a baseline.
func (p *parser) baselines(cfg *Config) {
	for _, name := range cfg.StoreNames {
		n := p.baselineAt[join("stores", name)]
		if n == nil {
			continue
		}
		for _, pr := range cfg.Pairs {
			if pr.Target == name {
				p.problem(n, join(join("stores", name), "baseline"), "applies to legacy stores only; store %q is the target of pair %s", name, pr.Name)
			}
		}
	}
}
