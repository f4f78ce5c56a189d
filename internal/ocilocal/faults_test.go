package ocilocal_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

func TestFaultsAreSeenByTheClient(t *testing.T) {
	e := start(t, ocilocal.Options{})
	e.CreateBucket(t, "b", false)
	e.Put(t, "b", "o", []byte("content"))
	ctx := context.Background()
	get := func() error {
		resp, err := e.Client.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: e.ns, BucketName: common.String("b"), ObjectName: common.String("o")})
		if err == nil {
			resp.Content.Close()
		}
		return err
	}

	tests := []struct {
		name   string
		faults ocilocal.Faults
		want   statusCode
		stats  ocilocal.FaultStats
	}{
		{"429", ocilocal.Faults{Rate429: 1}, statusCode{429, "TooManyRequests"}, ocilocal.FaultStats{TooManyRequests: 2}},
		{"500", ocilocal.Faults{Rate500: 1}, statusCode{500, "InternalServerError"}, ocilocal.FaultStats{InternalError: 2}},
		{"503", ocilocal.Faults{Rate503: 1}, statusCode{503, "ServiceUnavailable"}, ocilocal.FaultStats{ServiceUnavailable: 2}},
	}
	var total ocilocal.FaultStats
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.faults.Operations = []string{"GetObject"}
			e.Server.SetFaults(tt.faults)
			defer e.Server.SetFaults(ocilocal.Faults{})
			for range 2 {
				if diff := cmp.Diff(tt.want, statusOf(t, get())); diff != "" {
					t.Errorf("GetObject (-want +got):\n%s", diff)
				}
			}
			// Faults limited to GetObject leave other operations alone.
			if _, err := e.head(t, "b", "o"); err != nil {
				t.Errorf("HeadObject with faults on GetObject only: %v", err)
			}
			total.TooManyRequests += tt.stats.TooManyRequests
			total.InternalError += tt.stats.InternalError
			total.ServiceUnavailable += tt.stats.ServiceUnavailable
			if diff := cmp.Diff(total, e.Server.FaultStats()); diff != "" {
				t.Errorf("fault counts (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("ConnectionReset", func(t *testing.T) {
		e.Server.SetFaults(ocilocal.Faults{ResetRate: 1})
		defer e.Server.SetFaults(ocilocal.Faults{})
		err := get()
		if err == nil {
			t.Fatal("GetObject over a reset connection succeeded")
		}
		if _, ok := common.IsServiceError(err); ok {
			t.Errorf("a reset connection gave a service error: %v", err)
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a reset connection gave %v, want a connection reset or EOF", err)
		}
		if e.Server.FaultStats().Resets == 0 {
			t.Error("no reset counted")
		}
	})

	t.Run("Latency", func(t *testing.T) {
		// A latency far longer than the test: the request is cancelled once
		// the server reports holding it, so nothing depends on timing.
		e.Server.SetFaults(ocilocal.Faults{Latency: 1 << 62})
		defer e.Server.SetFaults(ocilocal.Faults{})
		before := e.Server.FaultStats().Delayed
		ctx, cancel := context.WithCancel(ctx)
		go func() {
			for e.Server.FaultStats().Delayed == before {
				time.Sleep(time.Millisecond) // polling, not timing
			}
			cancel()
		}()
		// A raw signed request: the SDK's Retry races with itself when a
		// context is cancelled mid-call.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Endpoint+"/n/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		if err := common.DefaultRequestSigner(ocilocaltest.Provider(t, ocilocaltest.Key(), "")).Sign(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("delayed request: got %v, want context.Canceled", err)
		}
		if diff := cmp.Diff(before+1, e.Server.FaultStats().Delayed); diff != "" {
			t.Errorf("delayed requests (-want +got):\n%s", diff)
		}
	})

	t.Run("SeededDrawsRepeat", func(t *testing.T) {
		run := func() []int {
			e.Server.SetFaults(ocilocal.Faults{Rate429: 0.3, Rate503: 0.3, Seed: 42, Operations: []string{"GetObject"}})
			defer e.Server.SetFaults(ocilocal.Faults{})
			var got []int
			for range 20 {
				s, _ := status(t, get())
				got = append(got, s)
			}
			return got
		}
		first, second := run(), run()
		if diff := cmp.Diff(first, second); diff != "" {
			t.Errorf("two runs with the same seed (-first +second):\n%s", diff)
		}
		seen := map[int]bool{}
		for _, s := range first {
			seen[s] = true
		}
		if diff := cmp.Diff(map[int]bool{0: true, 429: true, 503: true}, seen); diff != "" {
			t.Errorf("statuses drawn with rates 0.3/0.3 (-want +got):\n%s", diff)
		}
	})
}
