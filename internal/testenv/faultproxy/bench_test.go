package faultproxy_test

import (
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/parityproof/parityproof/internal/testenv/faultproxy"
)

// BenchmarkGet1MiB reads a 1 MiB answer from a local upstream, directly
// and through the proxy with rules that never match, to show what the
// proxy adds to a request.
func BenchmarkGet1MiB(b *testing.B) {
	content := make([]byte, 1<<20)
	up := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(content) })}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go up.Serve(ln)
	defer up.Close()
	upURL := "http://" + ln.Addr().String()
	p, err := faultproxy.New(upURL, faultproxy.Options{Rules: []faultproxy.Rule{
		{Op: faultproxy.PutObject, Fault: faultproxy.Reset()},
		{Bucket: "elsewhere", Probability: 0.5, Fault: faultproxy.SlowDown(0)},
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for _, bc := range []struct{ name, url string }{{"direct", upURL}, {"proxy", p.URL}} {
		b.Run(bc.name, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			b.SetBytes(int64(len(content)))
			for b.Loop() {
				resp, err := c.Get(bc.url + "/bucket/key")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
