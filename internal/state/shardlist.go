package state

import (
	"bytes"
	"context"

	"github.com/parityproof/parityproof/internal/storage"
)

// WriteShardList writes a run's shard tasks at ShardListName — one JSON
// object a line, as the Distributed Map's ItemReader reads them (its
// InputType JSONL) — and returns where they are.
func (s *State) WriteShardList(ctx context.Context, runID string, jsonl []byte) (string, error) {
	name := ShardListName(runID)
	if err := s.st.Put(ctx, name, bytes.NewReader(jsonl), storage.PutOptions{ContentType: "application/jsonl"}); err != nil {
		return "", err
	}
	return s.st.URL(name), nil
}
