package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/state"
)

// Who began a run goes into its record (state.Identity) and from there
// into every report of it. Identify looks it up.

// IdentifyOptions say where to look for who is running parityproof.
type IdentifyOptions struct {
	// AWS asks STS GetCallerIdentity, with the default credential chain.
	AWS bool
	// AWSRegion is the region to ask in; "" takes the chain's.
	AWSRegion string
	// STSEndpoint replaces STS's endpoint (a local emulator).
	STSEndpoint string
	// HTTPClient, if set, carries the STS request (set through the
	// service's options, so that AWS_CA_BUNDLE keeps working otherwise).
	HTTPClient aws.HTTPClient
	// OCI lists the OCI principals to describe.
	OCI []state.OCIIdentity
	// Timeout bounds the lookups; 0 means 10 seconds.
	Timeout time.Duration
}

// IdentifyOptionsFor returns where to look for a configuration: STS when a
// store or location is in AWS itself (no custom endpoint) and AWS
// credentials are configured, and the OCI principal of every OCI store and
// location.
func IdentifyOptionsFor(cfg *config.Config) IdentifyOptions {
	var o IdentifyOptions
	addOCI := func(id state.OCIIdentity) {
		if !slices.Contains(o.OCI, id) {
			o.OCI = append(o.OCI, id)
		}
	}
	for _, name := range cfg.StoreNames {
		s := cfg.Stores[name]
		switch s.Type {
		case config.S3:
			if s.Endpoint == "" && !o.AWS {
				o.AWS, o.AWSRegion = true, s.Region
			}
		case config.OCI:
			addOCI(state.OCIIdentity{Auth: s.Auth, ConfigFile: s.ConfigFile, Profile: s.Profile})
		}
	}
	for _, l := range []config.Location{cfg.State, cfg.Reports} {
		switch l.Scheme {
		case "s3":
			if l.Endpoint == "" && !o.AWS {
				o.AWS, o.AWSRegion = true, l.Region
			}
		case "oci":
			id := state.OCIIdentity{Auth: l.Auth}
			if l.Auth == config.AuthAPIKey {
				id.ConfigFile, id.Profile = l.ConfigFile, l.Profile
				if id.ConfigFile == "" {
					id.ConfigFile = "~/.oci/config"
				}
				if id.Profile == "" {
					id.Profile = "DEFAULT"
				}
			}
			addOCI(id)
		}
	}
	o.AWS = o.AWS && awsCredentialsConfigured()
	return o
}

// awsCredentialsConfigured reports whether the environment or the shared
// files configure AWS credentials, without asking any service: looking up
// an identity where none is configured would only wait for the instance
// metadata service to time out.
func awsCredentialsConfigured() bool {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	files := []string{os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), os.Getenv("AWS_CONFIG_FILE")}
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".aws", "credentials"), filepath.Join(home, ".aws", "config"))
	}
	for _, f := range files {
		if st, err := os.Stat(f); f != "" && err == nil && st.Mode().IsRegular() && st.Size() > 0 {
			return true
		}
	}
	return false
}

// Identify looks up who is running parityproof, as o says. It never fails:
// what cannot be found is left out and logged, since a report without its
// runner's identity is still a report.
func Identify(ctx context.Context, o IdentifyOptions, log *slog.Logger) *state.Identity {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := &state.Identity{}
	if o.AWS {
		a, err := awsIdentity(ctx, o)
		if err != nil {
			log.Warn("the run's record will not say which AWS identity began it", "error", err)
		} else {
			id.AWS = a
		}
	}
	for _, src := range o.OCI {
		oid, err := ociIdentity(src)
		if err != nil {
			log.Warn("the run's record will not name the OCI user", "config_file", src.ConfigFile, "profile", src.Profile, "error", err)
		}
		id.OCI = append(id.OCI, oid)
	}
	if id.IsZero() {
		return nil
	}
	return id
}

func awsIdentity(ctx context.Context, o IdentifyOptions) (*state.AWSIdentity, error) {
	client, err := awsclient.STS(ctx, awsclient.Options{Region: o.AWSRegion, Endpoint: o.STSEndpoint, HTTPClient: o.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("asking STS who the caller is: %w", err)
	}
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("asking STS who the caller is: %w", err)
	}
	return &state.AWSIdentity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}

// ociIdentity reads the user and tenancy OCIDs of an API key's profile.
// Other principals are returned as they are.
func ociIdentity(src state.OCIIdentity) (state.OCIIdentity, error) {
	if src.Auth != config.AuthAPIKey {
		return src, nil
	}
	path := src.ConfigFile
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return src, fmt.Errorf("finding the home folder for %s: %w", path, err)
		}
		path = filepath.Join(home, rest)
	}
	if _, err := os.Stat(path); err != nil {
		return src, fmt.Errorf("reading the OCI configuration: %w", err)
	}
	p, err := common.ConfigurationProviderFromFileWithProfile(path, src.Profile, "")
	if err != nil {
		return src, fmt.Errorf("reading %s: %w", path, err)
	}
	user, uerr := p.UserOCID()
	tenancy, terr := p.TenancyOCID()
	src.User, src.Tenancy = user, tenancy
	if err := errors.Join(uerr, terr); err != nil {
		return src, fmt.Errorf("reading profile %s of %s: %w", src.Profile, path, err)
	}
	return src, nil
}
