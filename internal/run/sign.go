package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/parityproof/parityproof/internal/awsclient"
	"github.com/parityproof/parityproof/internal/awsclient/kmsclient"
	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
)

// ErrSigning is wrapped by the errors of a signing key that cannot be
// used: missing, unreadable, of a kind that cannot sign, or refused.
var ErrSigning = errors.New("the signing key cannot be used")

// NewSigner returns the signer of the configuration's signing key: a
// local Ed25519 key, or an AWS KMS asymmetric key (whose public key it
// reads at once); nil when no key is configured.
func NewSigner(ctx context.Context, sg config.Signing) (report.Signer, error) {
	switch {
	case sg.KeyFile != "":
		s, err := report.NewEd25519Signer(sg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSigning, err)
		}
		return s, nil
	case sg.KMSKey != "":
		client, err := kmsclient.New(ctx, awsclient.Options{Region: sg.Region, Endpoint: sg.Endpoint})
		if err != nil {
			return nil, fmt.Errorf("%w: KMS key %s: %w", ErrSigning, sg.KMSKey, err)
		}
		return newKMSSigner(ctx, client, sg.KMSKey)
	}
	return nil, nil
}

// kmsAlgorithms are the KMS signing algorithms attest verify checks, in
// order of preference.
var kmsAlgorithms = []string{report.AlgECDSASHA256, report.AlgECDSASHA384, report.AlgECDSASHA512, report.AlgRSAPKCS1SHA256, report.AlgRSAPSSSHA256}

// kmsSigner signs with an AWS KMS asymmetric key: the statement is sent
// whole (MessageType RAW), and KMS hashes and signs it.
type kmsSigner struct {
	client *kms.Client
	keyID  string
	alg    string
	der    []byte
}

func newKMSSigner(ctx context.Context, client *kms.Client, keyID string) (*kmsSigner, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("%w: reading the public key of KMS key %s: %w", ErrSigning, keyID, err)
	}
	if out.KeyUsage != "" && out.KeyUsage != kmstypes.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("%w: KMS key %s is for %s, not SIGN_VERIFY", ErrSigning, keyID, out.KeyUsage)
	}
	s := &kmsSigner{client: client, keyID: keyID, der: out.PublicKey}
	if out.KeyId != nil {
		s.keyID = *out.KeyId
	}
	for _, want := range kmsAlgorithms {
		if slices.Contains(out.SigningAlgorithms, kmstypes.SigningAlgorithmSpec(want)) {
			s.alg = want
			break
		}
	}
	if s.alg == "" {
		return nil, fmt.Errorf("%w: KMS key %s signs with %v, none of which attest verify checks (%v)", ErrSigning, keyID, out.SigningAlgorithms, kmsAlgorithms)
	}
	return s, nil
}

func (s *kmsSigner) Sign(ctx context.Context, message []byte) (report.Signature, error) {
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(s.keyID), Message: message, MessageType: kmstypes.MessageTypeRaw,
		SigningAlgorithm: kmstypes.SigningAlgorithmSpec(s.alg),
	})
	if err != nil {
		return report.Signature{}, fmt.Errorf("KMS key %s: %w", s.keyID, err)
	}
	return report.Signature{Algorithm: s.alg, KeyID: s.keyID, PublicKey: s.der, Value: out.Signature}, nil
}

// signer returns the Runner's signer, built once from the configuration.
func (r *Runner) signer(ctx context.Context) (report.Signer, error) {
	r.signOnce.Do(func() {
		if r.opts.Signer != nil {
			r.sign = r.opts.Signer
			return
		}
		r.sign, r.signErr = NewSigner(ctx, r.cfg.Signing)
	})
	return r.sign, r.signErr
}

// signState is the Runner's signer, built once.
type signState struct {
	signOnce sync.Once
	sign     report.Signer
	signErr  error
}
