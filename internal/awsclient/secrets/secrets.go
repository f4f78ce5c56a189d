// Package secrets builds the clients of where the Lambda functions' settings
// and secrets are kept — SSM Parameter Store and Secrets Manager — by
// internal/awsclient's rules. It is a package of its own so that programs
// that never read them (the command line, the benchmarks) do not link those
// services, whose initialisation costs a few MiB of memory.
package secrets

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// SSM returns an SSM client.
func SSM(ctx context.Context, o awsclient.Options) (*ssm.Client, error) {
	r, err := awsclient.Resolve(ctx, o, ssm.ServiceID)
	if err != nil {
		return nil, err
	}
	return ssm.NewFromConfig(r.Config(), func(so *ssm.Options) {
		r.Apply(&so.Region, &so.BaseEndpoint, &so.Credentials, &so.Retryer)
		if hc := r.HTTPClient(); hc != nil {
			so.HTTPClient = hc
		}
	}), nil
}

// SecretsManager returns a Secrets Manager client.
func SecretsManager(ctx context.Context, o awsclient.Options) (*secretsmanager.Client, error) {
	r, err := awsclient.Resolve(ctx, o, secretsmanager.ServiceID)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(r.Config(), func(so *secretsmanager.Options) {
		r.Apply(&so.Region, &so.BaseEndpoint, &so.Credentials, &so.Retryer)
		if hc := r.HTTPClient(); hc != nil {
			so.HTTPClient = hc
		}
	}), nil
}
