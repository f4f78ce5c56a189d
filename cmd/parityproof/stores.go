package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/report"
	"github.com/parityproof/parityproof/internal/storage"
)

// fetcher opens the URLs a report names: file:// directly; s3:// and
// oci:// through the configured location they fall under, whose endpoint
// and credentials apply, else (s3:// only) with the default AWS chain.
func fetcher(locations []config.Location) report.Fetcher {
	return func(ctx context.Context, u string) (io.ReadCloser, error) {
		if !strings.HasPrefix(u, "s3://") && !strings.HasPrefix(u, "oci://") {
			return report.FetchFile(ctx, u)
		}
		for _, loc := range locations {
			if loc.Scheme == "file" {
				continue
			}
			st, err := storage.Open(ctx, loc)
			if err != nil {
				return nil, err
			}
			if base := st.URL(""); strings.HasPrefix(u, base) {
				return st.Get(ctx, strings.TrimPrefix(u, base))
			}
		}
		if !strings.HasPrefix(u, "s3://") {
			return nil, fmt.Errorf("%s: pass --config with the location that holds it", u)
		}
		p, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("%q is not a URL: %w", u, err)
		}
		st, err := storage.NewS3(ctx, storage.S3Location{Bucket: p.Host})
		if err != nil {
			return nil, err
		}
		return st.Get(ctx, strings.TrimPrefix(p.Path, "/"))
	}
}
