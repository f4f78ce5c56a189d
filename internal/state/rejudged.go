package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/storage"
)

// Re-judged keys are recorded one file per key, complete run whose ledger
// they were judged against, and set of events:
//
//	rejudged/<run_id>/<pair>/<sha256 of the logical key>/<judged_at>-<digest of the events>.json
//
// (rejudged/none/… before any run is complete). The judgement is stamped
// with the newest event's time, not the clock, so the same events judged
// again give the same file, which is then left as it is: the same event
// twice changes nothing, and other events of the same key add files beside
// it rather than replace it. The next complete run judges every key afresh
// and supersedes these files; they stay as the evidence of what was seen
// between runs.

// RejudgedSchema names the format of re-judged key files.
const RejudgedSchema = "parityproof.rejudged/v1"

// Rejudged is one key re-judged after deletion events.
type Rejudged struct {
	Schema string `json:"schema"`
	Pair   string `json:"pair"`
	Key    string `json:"key"`
	// AgainstRunID is the complete run whose ledger entry of the key was
	// taken as the previous entry; "" when no run was complete.
	AgainstRunID string `json:"against_run_id"`
	// JudgedAt is the newest event's time.
	JudgedAt time.Time `json:"judged_at"`
	// Events are the deletions that asked for the judgement, oldest first.
	Events []RemovedEvent `json:"events"`
	// Entry is the key's entry as the engine judged it; nil when it
	// deserves none (no store holds it and no ledger kept it).
	Entry *ledger.Entry `json:"entry"`
	// Warning says what is wrong with a judgement that could not be made:
	// a deleted key found in no store and no ledger, of which nothing says
	// whether it ever had a copy.
	Warning string `json:"warning,omitempty"`
}

// RemovedEvent is one deletion as a Rejudged file records it.
type RemovedEvent struct {
	Store     string    `json:"store"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"object_key"`
	VersionID string    `json:"version_id,omitempty"`
	Event     string    `json:"event"`
	Time      time.Time `json:"time"`
}

// RejudgedName is where a key's re-judgement after events (sorted oldest
// first, at least one) against a run is recorded.
func RejudgedName(runID, pair, key string, events []RemovedEvent) (string, error) {
	if len(events) == 0 {
		return "", fmt.Errorf("re-judging %q of pair %s: no event asks for it", key, pair)
	}
	if runID == "" {
		runID = "none"
	}
	b, err := json.Marshal(events)
	if err != nil {
		return "", fmt.Errorf("encoding the events of %q: %w", key, err)
	}
	k, e := sha256.Sum256([]byte(key)), sha256.Sum256(b)
	at := events[len(events)-1].Time.UTC().Format("20060102T150405.000Z")
	return fmt.Sprintf("rejudged/%s/%s/%s/%s-%s.json", runID, pair, hex.EncodeToString(k[:]), at, hex.EncodeToString(e[:8])), nil
}

// PutRejudged records rec at its RejudgedName unless that already holds
// exactly this record, and returns where it is and whether it wrote.
func (s *State) PutRejudged(ctx context.Context, rec *Rejudged) (url string, written bool, err error) {
	name, err := RejudgedName(rec.AgainstRunID, rec.Pair, rec.Key, rec.Events)
	if err != nil {
		return "", false, err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", false, fmt.Errorf("encoding %s: %w", name, err)
	}
	b = append(b, '\n')
	url = s.st.URL(name)
	rc, err := s.st.Get(ctx, name)
	switch {
	case err == nil:
		old, rerr := io.ReadAll(rc)
		rc.Close()
		if rerr != nil {
			return url, false, fmt.Errorf("reading %s: %w", url, rerr)
		}
		if bytes.Equal(old, b) {
			return url, false, nil
		}
	case !errors.Is(err, storage.ErrNotExist):
		return url, false, fmt.Errorf("reading %s: %w", url, err)
	}
	if err := s.st.Put(ctx, name, bytes.NewReader(b), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return url, false, fmt.Errorf("recording %s: %w", url, err)
	}
	return url, true, nil
}
