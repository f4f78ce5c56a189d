package run

import (
	"errors"
	"net"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
	"github.com/parityproof/parityproof/pkg/inventory/oci"
	s3store "github.com/parityproof/parityproof/pkg/inventory/s3"
)

// ErrBusy is wrapped by the errors of a run that could not begin because
// another writer holds the state location's lease (a *storage.HeldError
// names it): nothing was done, and a later attempt can do it.
var ErrBusy = errors.New("another run holds the state location")

// permanentKinds are the errors a rerun cannot fix: the user must change
// the configuration, the credentials, the policies or the stores first.
var permanentKinds = []error{
	ErrLocation, ErrConfigChanged, verify.ErrPreviousLedger, ErrSigning,
	config.ErrNotFound,
	storage.ErrPermission, storage.ErrLocationNotFound,
	s3store.ErrBucketNotFound, s3store.ErrAccessDenied, s3store.ErrWrongRegion,
	oci.ErrBucketNotFound, oci.ErrNamespaceNotFound, oci.ErrNotAuthorized, oci.ErrBadKeyFile,
}

// Permanent reports whether err is a problem that running again cannot
// fix: the configuration, an identity or its permissions, a store, bucket,
// namespace or location that does not exist, a key file that cannot be
// used, a previous ledger that is damaged, a run in progress begun with
// another configuration — and, found by the preflight before a run
// begins, an endpoint that cannot be reached. The command line exits 2
// for these, and 3 for everything else (what a rerun can finish:
// timeouts, throttling, an interruption, a busy state location, and an
// endpoint lost in the middle of a run that the preflight reached).
func Permanent(err error) bool {
	if err == nil || errors.Is(err, ErrBusy) {
		return false
	}
	var pf *PreflightError
	if errors.As(err, &pf) {
		return pf.Permanent()
	}
	return permanent(err)
}

// permanent is Permanent without the preflight's view.
func permanent(err error) bool {
	for _, k := range permanentKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		return true
	}
	// No credentials at all (no environment, profile or role).
	var signErr *v4.SigningError
	return errors.As(err, &signErr)
}

// unreachable reports whether err is a failure to connect: a refused
// connection or an unknown host, whatever the SDK wrapped it in.
func unreachable(err error) bool {
	if errors.Is(err, storage.ErrUnreachable) || errors.Is(err, s3store.ErrUnreachable) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// damagedPrevious reports whether err is the damage of the previous run's
// ledger, found while a shard read it.
func damagedPrevious(err error) bool {
	return errors.Is(err, state.ErrLedgerDamaged)
}
