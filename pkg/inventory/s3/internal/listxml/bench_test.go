package listxml

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// page1000 is a ListObjectsV2 page of 1,000 keys as versitygw writes it
// (Go's encoding/xml: &#34; in the ETags), the pages bench/compare lists.
func page1000() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>c-legacy</Name><NextContinuationToken>user-042/backup-00000999.bin</NextContinuationToken><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>`)
	for i := range 1000 {
		fmt.Fprintf(&b, `<Contents><LastModified>2026-12-01T10:00:09Z</LastModified><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><ETag>&#34;%032x&#34;</ETag><Key>user-042/backup-%08d.bin</Key><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`, i*7919, i, 64+i%192)
	}
	b.WriteString(`<EncodingType>url</EncodingType></ListBucketResult>`)
	return []byte(b.String())
}

// BenchmarkDecodePage compares decoding one page of 1,000 keys with the
// SDK's deserializer (through a client whose transport answers at once,
// so the SDK's request path is included) and with listxml alone.
//
//	go test ./pkg/inventory/s3/internal/listxml -run '^$' -bench DecodePage -count 5
func BenchmarkDecodePage(b *testing.B) {
	body := page1000()
	b.Run("sdk", func(b *testing.B) {
		client := sdkClient(body)
		in := &awss3.ListObjectsV2Input{Bucket: aws.String("b")}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			out, err := client.ListObjectsV2(context.Background(), in)
			if err != nil || len(out.Contents) != 1000 {
				b.Fatalf("%d keys, %v", len(out.Contents), err)
			}
		}
	})
	b.Run("listxml", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var out awss3.ListObjectsV2Output
			if err := ListObjectsV2(body, &out); err != nil || len(out.Contents) != 1000 {
				b.Fatalf("%d keys, %v", len(out.Contents), err)
			}
		}
	})
}
