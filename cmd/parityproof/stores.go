package main

import (
	"context"
	"io"

	"github.com/parityproof/parityproof/pkg/config"
	"github.com/parityproof/parityproof/pkg/report"
	"github.com/parityproof/parityproof/pkg/storage"
)

// openLocation opens a state or reports location.
func openLocation(ctx context.Context, loc config.Location) (storage.Store, error) {
	st, err := storage.Open(ctx, loc)
	if err != nil {
		return nil, usageError{err}
	}
	return st, nil
}

// fetchURL opens a URL a report names.
func fetchURL(ctx context.Context, u string) (io.ReadCloser, error) {
	return report.FetchFile(ctx, u)
}
