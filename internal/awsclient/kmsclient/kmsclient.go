// Package kmsclient builds the AWS KMS client of the programs that sign
// reports, by internal/awsclient's rules. It is a package of its own so
// that programs that never sign do not link the KMS service.
package kmsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/parityproof/parityproof/internal/awsclient"
)

// New returns a KMS client.
func New(ctx context.Context, o awsclient.Options) (*kms.Client, error) {
	r, err := awsclient.Resolve(ctx, o, kms.ServiceID)
	if err != nil {
		return nil, err
	}
	return kms.NewFromConfig(r.Config(), func(ko *kms.Options) {
		r.Apply(&ko.Region, &ko.BaseEndpoint, &ko.Credentials, &ko.Retryer)
		if hc := r.HTTPClient(); hc != nil {
			ko.HTTPClient = hc
		}
	}), nil
}
