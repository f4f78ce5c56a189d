package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/verify"
)

// A state location has one writer of its runs at a time (docs/runs.md,
// "One writer"):
//
//   - the state location's lease (state.LeaseName) is held by whoever
//     begins a run, finishes one, or moves current.json: the command line
//     for its whole run, a Lambda invocation for the step it takes (plan,
//     an inline run, the report's finish);
//   - a shard's lease is held by whoever verifies the shard — a worker of
//     the command line, one Lambda invocation of the Distributed Map —
//     while it writes the shard's ledger parts and checkpoint: many
//     invocations verify one run's shards at once, one writer per shard.
//
// A holder renews its lease every third of run.lease_ttl and stops
// writing when it cannot; a holder killed on s3:// or oci:// blocks others
// until its lease expires, on file:// only until its process ends.

// holder says who this process is, for the messages of those it blocks.
func (r *Runner) holder(doing string) string {
	who := r.opts.Holder
	if who == "" {
		host, _ := os.Hostname()
		who = fmt.Sprintf("%s (pid %d on %s)", filepath.Base(os.Args[0]), os.Getpid(), host)
	}
	if doing == "" {
		return who
	}
	return who + ", " + doing
}

func (r *Runner) leaseOptions(doing string) storage.LeaseOptions {
	return storage.LeaseOptions{Holder: r.holder(doing), TTL: r.opts.LeaseTTL, Now: r.opts.LeaseNow}
}

// acquire takes the state location's lease for doing, unless this Runner
// holds it already, and returns the context the work is to be done under
// (it ends if the lease is lost) and what gives the lease up.
func (r *Runner) acquire(ctx context.Context, doing string) (context.Context, func(), error) {
	if r.lease != nil {
		return ctx, func() {}, nil
	}
	l, err := r.state.AcquireLease(ctx, r.leaseOptions(doing))
	if errors.Is(err, storage.ErrLeaseHeld) {
		return nil, nil, fmt.Errorf("%w: %w; only one run may write a state location at a time: run again when it is done", ErrBusy, err)
	}
	if err != nil {
		return nil, nil, err
	}
	r.lease = l
	wctx, stop := l.Keep(ctx)
	return wctx, func() {
		stop()
		if err := l.Release(context.WithoutCancel(ctx)); err != nil {
			r.log.Warn("releasing the state location's lease", "lease", l.URL(), "err", err)
		}
		r.lease = nil
	}, nil
}

// held returns nil while this Runner holds the state location's lease (or
// holds none), and why not otherwise: a write guarded by the lease must
// not happen.
func (r *Runner) held() error {
	if r.lease == nil {
		return nil
	}
	return r.lease.Err()
}

// shardLease takes a shard's lease for verify.
func (r *Runner) shardLease(ctx context.Context, runID, pair, shard string) (*verify.ShardHold, error) {
	l, err := r.state.AcquireShardLease(ctx, runID, pair, shard, r.leaseOptions(fmt.Sprintf("verifying shard %s of pair %s of run %s", shard, pair, runID)))
	if errors.Is(err, storage.ErrLeaseHeld) {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	if err != nil {
		return nil, err
	}
	wctx, stop := l.Keep(ctx)
	return &verify.ShardHold{Ctx: wctx, Err: l.Err, Release: func() {
		stop()
		if err := l.Release(context.WithoutCancel(ctx)); err != nil {
			r.log.Warn("releasing a shard's lease", "lease", l.URL(), "err", err)
		}
	}}, nil
}
