package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Location is where a run's state or reports are kept: a local folder, an
// S3 bucket and prefix, or an OCI bucket and prefix.
//
//	file://./relative/to/the/config/file   file:///absolute/path
//	s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:5000&path_style=true
//	oci://bucket@namespace/prefix?region=us-ashburn-1&endpoint=…&auth=api_key&profile=DEFAULT&config_file=~/.oci/config
type Location struct {
	// Raw is the location as written.
	Raw    string
	Scheme string // "file", "s3" or "oci"
	// Dir is a file location's absolute folder.
	Dir string
	// Bucket, Namespace (OCI) and Prefix (ending in "/" unless empty)
	// locate a bucket location.
	Bucket    string
	Namespace string
	Prefix    string
	// Store-like settings, from the query.
	Region     string
	Endpoint   string
	PathStyle  bool
	Auth       string
	Profile    string
	ConfigFile string
}

// String returns the location as written.
func (l Location) String() string { return l.Raw }

// ParseLocation parses a state or reports location. Relative file://
// locations are resolved against base (the configuration file's folder).
func ParseLocation(s, base string) (Location, error) {
	loc := Location{Raw: s}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return loc, fmt.Errorf("%q is not a location: write file://PATH, s3://BUCKET/PREFIX or oci://BUCKET@NAMESPACE/PREFIX", s)
	}
	loc.Scheme = scheme
	switch scheme {
	case "file":
		if rest == "" {
			return loc, fmt.Errorf("%q names no folder", s)
		}
		if strings.ContainsAny(rest, "?#") {
			return loc, fmt.Errorf("%q: a file location takes no query", s)
		}
		dir := filepath.FromSlash(rest)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(base, dir)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return loc, fmt.Errorf("%q: %w", s, err)
		}
		loc.Dir = abs
		return loc, nil
	case "s3", "oci":
	default:
		return loc, fmt.Errorf("%q: scheme %q is not file, s3 or oci", s, scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		return loc, fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Fragment != "" {
		return loc, fmt.Errorf("%q: a location has no #fragment", s)
	}
	loc.Prefix = strings.TrimPrefix(u.Path, "/")
	if loc.Prefix != "" && !strings.HasSuffix(loc.Prefix, "/") {
		loc.Prefix += "/"
	}
	allowed := map[string]*string{"region": &loc.Region, "endpoint": &loc.Endpoint}
	switch scheme {
	case "s3":
		if u.User != nil {
			return loc, fmt.Errorf("%q: an s3 location is s3://BUCKET/PREFIX", s)
		}
		loc.Bucket = u.Host
		if !s3BucketRE.MatchString(loc.Bucket) {
			return loc, fmt.Errorf("%q: %q is not an S3 bucket name", s, loc.Bucket)
		}
	case "oci":
		if u.User == nil || u.User.Username() == "" || u.Host == "" {
			return loc, fmt.Errorf("%q: an oci location is oci://BUCKET@NAMESPACE/PREFIX", s)
		}
		loc.Bucket, loc.Namespace = u.User.Username(), u.Host
		if !validOCIBucket(loc.Bucket) {
			return loc, fmt.Errorf("%q: %q is not an OCI bucket name", s, loc.Bucket)
		}
		loc.Auth = AuthAPIKey
		allowed["auth"], allowed["profile"], allowed["config_file"] = &loc.Auth, &loc.Profile, &loc.ConfigFile
	}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return loc, fmt.Errorf("%q: query parameter %q is given %d times", s, k, len(vs))
		}
		if k == "path_style" && scheme == "s3" {
			b, err := strconv.ParseBool(vs[0])
			if err != nil {
				return loc, fmt.Errorf("%q: path_style must be true or false", s)
			}
			loc.PathStyle = b
			continue
		}
		dst, ok := allowed[k]
		if !ok {
			return loc, fmt.Errorf("%q: unknown query parameter %q", s, k)
		}
		*dst = vs[0]
	}
	if loc.Endpoint != "" {
		if err := checkEndpoint(loc.Endpoint); err != nil {
			return loc, fmt.Errorf("%q: %w", s, err)
		}
	}
	if loc.Region != "" && !regionRE.MatchString(loc.Region) {
		return loc, fmt.Errorf("%q: %q is not a region name", s, loc.Region)
	}
	if scheme == "oci" && loc.Region == "" {
		return loc, fmt.Errorf("%q: an oci location needs ?region=", s)
	}
	switch loc.Auth {
	case "", AuthAPIKey, AuthInstancePrincipal, AuthResourcePrincipal:
	default:
		return loc, fmt.Errorf("%q: %q is not an authentication method", s, loc.Auth)
	}
	return loc, nil
}

func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an endpoint URL (http:// or https:// and a host)", e)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return fmt.Errorf("%q: an endpoint is a scheme and a host, without a path or query", e)
	}
	return nil
}
