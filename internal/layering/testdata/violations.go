// This file is a fixture of constructors_test.go: the calls marked
// "flagged" must be found, the others not.
package violations

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	kms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	. "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/identity"
	objstore "github.com/oracle/oci-go-sdk/v65/objectstorage"
)

func build(ctx context.Context, p common.ConfigurationProvider) {
	cfg, _ := awsconfig.LoadDefaultConfig(ctx) // flagged
	_ = s3.NewFromConfig(cfg)                  // flagged
	_ = s3.New(s3.Options{})                   // flagged
	_ = kms.NewFromConfig(cfg)                 // flagged: renamed import
	newSTS := sts.NewFromConfig                // flagged: a function value
	_ = newSTS
	_, _ = objstore.NewObjectStorageClientWithConfigurationProvider(p) // flagged: renamed import
	_, _ = identity.NewIdentityClientWithConfigurationProvider(p)      // flagged
	_, _ = common.NewClientWithConfig(p)                               // flagged
	_ = NewFromConfig(cfg)                                             // not found: the dot import itself is flagged

	_ = s3.NewListObjectsV2Paginator(nil, nil) // a paginator, not a client
	_ = common.NewCircuitBreaker(nil)          // not a client
	_ = aws.String("x")
}

func shadowed() {
	s3 := struct{ New func() int }{}
	_ = s3.New() // a local variable, not the package
}
