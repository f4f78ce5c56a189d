package report

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/state"
)

// exceptionBatch is how many exceptions a reader hands on at a time.
const exceptionBatch = 256

// batchesAhead is how many batches of one file a reader may decode before
// the file's turn comes.
const batchesAhead = 4

// exceptionReaders is how many exception files a report's stream reads at
// once: one per CPU, up to 8, and at least 2, so that fetching the next
// file overlaps writing the current one even on one CPU.
func exceptionReaders() int {
	return min(max(runtime.GOMAXPROCS(0), 2), 8)
}

// exceptionFile is one exception file being read, and what it yields.
type exceptionFile struct {
	pair string
	file ledger.ManifestFile
	out  chan exceptions
}

// exceptions are a batch of one file's exceptions, in key order; err, on
// the file's last batch, is why reading it stopped.
type exceptions struct {
	list []Exception
	err  error
}

// walkExceptions calls fn with every exception of the manifest's shards, in
// ledger order, and returns the manifest's SHA-256. Up to readers exception
// files are fetched, checked and decoded at once, ahead of the one fn is
// given; fn is called from the calling goroutine only. An error stops the
// walk where the one-file-at-a-time walk would have stopped: fn has been
// given every exception before it and none after it.
func walkExceptions(ctx context.Context, st *state.State, runID, manifest string, readers int,
	fn func(*Exception) error) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// files holds, in ledger order, the files whose readers have started;
	// its capacity bounds how many run ahead of the one being written.
	files := make(chan *exceptionFile, max(readers-1, 0))
	var (
		readersDone sync.WaitGroup
		digest      string
		walkErr     error
	)
	go func() {
		defer close(files)
		digest, walkErr = st.WalkManifest(ctx, manifest, func(pair string, sh *ledger.ManifestShard) error {
			if sh.Tally != nil && sh.Tally.Exceptions() == 0 {
				return nil
			}
			for _, f := range shardExceptionFiles(sh) {
				ef := &exceptionFile{pair: pair, file: f, out: make(chan exceptions, batchesAhead)}
				readersDone.Add(1)
				go func() {
					defer readersDone.Done()
					readExceptionFile(ctx, st, runID, ef)
				}()
				select {
				case files <- ef:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}()

	var err error
	for ef := range files {
		if err != nil {
			continue // the walk is being cancelled: let it end
		}
		for b := range ef.out {
			for i := range b.list {
				if err = fn(&b.list[i]); err != nil {
					break
				}
			}
			if err == nil {
				err = b.err
			}
			if err != nil {
				err = fmt.Errorf("pair %s: %w", ef.pair, err)
				cancel()
				break
			}
		}
	}
	readersDone.Wait()
	if err != nil {
		return "", err
	}
	return digest, walkErr
}

// readExceptionFile reads ef's file and sends its exceptions to ef.out in
// batches, then closes it.
func readExceptionFile(ctx context.Context, st *state.State, runID string, ef *exceptionFile) {
	defer close(ef.out)
	batch := make([]Exception, 0, exceptionBatch)
	send := func(b exceptions) error {
		select {
		case ef.out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := st.ReadLedger(ctx, runID, ef.file, func(e *ledger.Entry) error {
		if !e.Verdict.IsException() {
			return nil
		}
		batch = append(batch, exceptionOf(ef.pair, e))
		if len(batch) < exceptionBatch {
			return nil
		}
		if err := send(exceptions{list: batch}); err != nil {
			return err
		}
		batch = make([]Exception, 0, exceptionBatch)
		return nil
	})
	_ = send(exceptions{list: batch, err: err}) // nowhere to send it once cancelled
}
