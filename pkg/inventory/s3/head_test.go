package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
	"github.com/parityproof/parityproof/pkg/inventory/checksum"
)

// content returns n bytes that differ from one offset to the next.
func content(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// contentSum returns the checksum the Digester computes of b (under a part
// layout, for composite ones) as a store would report it from source src.
func contentSum(t *testing.T, b []byte, partSize int64, alg inventory.Algorithm, typ inventory.ChecksumType, src inventory.Source) inventory.Checksum {
	t.Helper()
	d := checksum.NewDigester(partSize)
	d.Write(b)
	for _, c := range d.Checksums() {
		if c.Algorithm == alg && c.Type == typ {
			c.Source = src
			return c
		}
	}
	t.Fatalf("the digester computes no %s %s", typ, alg)
	return inventory.Checksum{}
}

// multipart uploads parts as one object, with a checksum algorithm if alg
// is set.
func (b *bucket) multipart(key string, alg types.ChecksumAlgorithm, parts ...[]byte) {
	b.t.Helper()
	ctx := context.Background()
	up, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(b.name), Key: aws.String(key), ChecksumAlgorithm: alg})
	if err != nil {
		b.t.Fatalf("starting an upload of %q: %v", key, err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := b.client.UploadPart(ctx, &awss3.UploadPartInput{
			Bucket: aws.String(b.name), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg,
		})
		if err != nil {
			b.t.Fatalf("uploading part %d of %q: %v", i+1, key, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumSHA256: out.ChecksumSHA256})
	}
	_, err = b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String(b.name), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		b.t.Fatalf("completing the upload of %q: %v", key, err)
	}
}

const mib = 1 << 20

// TestMultipartETagAndPartSize: a multipart object lists with its "-N"
// ETag as a composite MD5 and its part count; HEAD adds the part size
// from part 1.
func TestMultipartETagAndPartSize(t *testing.T) {
	b := newBucket(t, false)
	part1, part2 := content(5*mib, 1), content(1000, 2)
	b.multipart("mp", "", part1, part2)
	whole := append(append([]byte{}, part1...), part2...)
	s := b.store("", 1000)

	composite := contentSum(t, whole, 5*mib, inventory.MD5, inventory.Composite, inventory.FromETag)
	listed := list(t, s, inventory.KeyRange{})
	if len(listed) != 1 {
		t.Fatalf("listing: got %d fingerprints, want 1", len(listed))
	}
	listedMD5 := composite
	listedMD5.PartSize = 0 // a listing cannot tell the part size
	wantListed := inventory.Fingerprint{
		Key: "mp", Size: int64(len(whole)), ETag: composite.Value + "-2", Checksums: []inventory.Checksum{listedMD5},
		PartCount: 2, StorageTier: "STANDARD",
	}
	if diff := cmp.Diff(wantListed, listed[0], ignoreTimes); diff != "" {
		t.Errorf("listed fingerprint (-want +got):\n%s", diff)
	}

	got, err := s.Head(context.Background(), "mp")
	if err != nil {
		t.Fatal(err)
	}
	wantHead := wantListed
	wantHead.Checksums = []inventory.Checksum{composite}
	wantHead.PartSize = 5 * mib
	wantHead.Encryption = inventory.EncryptionNone
	if diff := cmp.Diff(wantHead, got, ignoreTimes); diff != "" {
		t.Errorf("head (-want +got):\n%s", diff)
	}
}

// TestHeadChecksums: the additional checksums an upload asked for come
// back from HEAD (ChecksumMode ENABLED), decoded to hex with their type.
func TestHeadChecksums(t *testing.T) {
	b := newBucket(t, false)
	body := content(3000, 3)
	crc32ieee := crc32.ChecksumIEEE(body)
	sha1Sum, sha256Sum := sha1.Sum(body), sha256.Sum256(body)
	tests := []struct {
		alg  types.ChecksumAlgorithm
		want inventory.Checksum
	}{
		{types.ChecksumAlgorithmCrc32, inventory.Checksum{Algorithm: inventory.CRC32, Type: inventory.FullObject,
			Value: hexOf([]byte{byte(crc32ieee >> 24), byte(crc32ieee >> 16), byte(crc32ieee >> 8), byte(crc32ieee)}), Source: inventory.FromHead}},
		{types.ChecksumAlgorithmCrc32c, contentSum(t, body, 0, inventory.CRC32C, inventory.FullObject, inventory.FromHead)},
		{types.ChecksumAlgorithmCrc64nvme, contentSum(t, body, 0, inventory.CRC64NVME, inventory.FullObject, inventory.FromHead)},
		{types.ChecksumAlgorithmSha1, inventory.Checksum{Algorithm: inventory.SHA1, Type: inventory.FullObject, Value: hexOf(sha1Sum[:]), Source: inventory.FromHead}},
		{types.ChecksumAlgorithmSha256, inventory.Checksum{Algorithm: inventory.SHA256, Type: inventory.FullObject, Value: hexOf(sha256Sum[:]), Source: inventory.FromHead}},
	}
	s := b.store("", 1000)
	etag := contentSum(t, body, 0, inventory.MD5, inventory.FullObject, inventory.FromETag)
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			key := "sum/" + string(tc.alg)
			b.put(key, body, func(in *awss3.PutObjectInput) { in.ChecksumAlgorithm = tc.alg })
			got, err := s.Head(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]inventory.Checksum{etag, tc.want}, got.Checksums); diff != "" {
				t.Errorf("checksums (-want +got):\n%s", diff)
			}
		})
	}
	// moto computes composite checksums itself, and falls back from CRC32C
	// to CRC32 without Python's crc32c module: SHA-256 is exact there.
	t.Run("composite SHA256", func(t *testing.T) {
		part1, part2 := content(5*mib, 4), content(10, 5)
		b.multipart("sum/composite", types.ChecksumAlgorithmSha256, part1, part2)
		whole := append(append([]byte{}, part1...), part2...)
		got, err := s.Head(context.Background(), "sum/composite")
		if err != nil {
			t.Fatal(err)
		}
		h1, h2 := sha256.Sum256(part1), sha256.Sum256(part2)
		overParts := sha256.Sum256(append(h1[:], h2[:]...))
		want := []inventory.Checksum{
			contentSum(t, whole, 5*mib, inventory.MD5, inventory.Composite, inventory.FromETag),
			{Algorithm: inventory.SHA256, Type: inventory.Composite, Value: hexOf(overParts[:]), Parts: 2, PartSize: 5 * mib, Source: inventory.FromHead},
		}
		if diff := cmp.Diff(want, got.Checksums); diff != "" {
			t.Errorf("checksums (-want +got):\n%s", diff)
		}
	})
}

// TestHeadMetadataEncryptionAndTier: rclone's md5chksum is an asserted MD5;
// SSE and the storage class are reported; archived objects say so and
// cannot be opened.
func TestHeadMetadataEncryptionAndTier(t *testing.T) {
	b := newBucket(t, false)
	body := []byte("migrated by rclone")
	sum := md5.Sum(body)
	b.put("rclone", body, func(in *awss3.PutObjectInput) {
		in.Metadata = map[string]string{"Md5chksum": base64.StdEncoding.EncodeToString(sum[:])}
	})
	b.put("sse", body, func(in *awss3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 })
	b.put("glacier", body, func(in *awss3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })
	b.put("deep", body, func(in *awss3.PutObjectInput) { in.StorageClass = types.StorageClassDeepArchive })
	b.put("ia", body, func(in *awss3.PutObjectInput) { in.StorageClass = types.StorageClassStandardIa })
	s := b.store("", 1000)
	ctx := context.Background()
	etag := []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexOf(sum[:]), Source: inventory.FromETag}}
	base := inventory.Fingerprint{Size: int64(len(body)), ETag: hexOf(sum[:]), Checksums: etag, StorageTier: "STANDARD", Encryption: inventory.EncryptionNone}
	with := func(key string, edit func(*inventory.Fingerprint)) inventory.Fingerprint {
		f := base
		f.Key = key
		f.Checksums = append([]inventory.Checksum(nil), etag...)
		edit(&f)
		return f
	}
	wantHeads := []inventory.Fingerprint{
		with("deep", func(f *inventory.Fingerprint) { f.StorageTier, f.Archived = "DEEP_ARCHIVE", true }),
		with("glacier", func(f *inventory.Fingerprint) { f.StorageTier, f.Archived = "GLACIER", true }),
		with("ia", func(f *inventory.Fingerprint) { f.StorageTier = "STANDARD_IA" }),
		with("rclone", func(f *inventory.Fingerprint) {
			f.Checksums = append(f.Checksums, inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: hexOf(sum[:]), Source: inventory.FromMetadata})
		}),
		with("sse", func(f *inventory.Fingerprint) { f.Encryption = "AES256" }),
	}
	var gotHeads []inventory.Fingerprint
	for _, w := range wantHeads {
		fp, err := s.Head(ctx, w.Key)
		if err != nil {
			t.Fatal(err)
		}
		gotHeads = append(gotHeads, fp)
	}
	if diff := cmp.Diff(wantHeads, gotHeads, ignoreTimes); diff != "" {
		t.Errorf("heads (-want +got):\n%s", diff)
	}

	// The listing tells the tier and archival too, not the encryption nor
	// the metadata.
	var wantListed []inventory.Fingerprint
	for _, w := range wantHeads {
		w.Encryption = ""
		w.Checksums = etag
		wantListed = append(wantListed, w)
	}
	if diff := cmp.Diff(wantListed, list(t, s, inventory.KeyRange{}), ignoreTimes); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}

	for _, key := range []string{"glacier", "deep"} {
		rc, err := s.Open(ctx, key, inventory.Whole)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, inventory.ErrArchived) {
			t.Errorf("open of %s: got %v, want an error wrapping ErrArchived", key, err)
		}
	}
}

// TestRangedRead streams ranges of an object larger than any buffer the
// SDK would use.
func TestRangedRead(t *testing.T) {
	b := newBucket(t, false)
	body := content(6*mib+123, 6)
	b.put("big", body)
	s := b.store("", 1000)
	for _, r := range []inventory.ByteRange{
		inventory.Whole,
		{Offset: 0, Length: 1},
		{Offset: 5*mib - 7, Length: mib + 14},
		{Offset: 6 * mib, Length: -1},
		{Offset: int64(len(body)) - 1, Length: 1},
		{Offset: 10, Length: 0},
	} {
		rc, err := s.Open(context.Background(), "big", r)
		if err != nil {
			t.Fatalf("open %+v: %v", r, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("reading %+v: %v", r, err)
		}
		want := body[r.Offset:]
		if r.Length >= 0 {
			want = want[:r.Length]
		}
		wantSum := sha256.Sum256(want)
		if diff := cmp.Diff([2]any{int64(len(want)), hexOf(wantSum[:])}, [2]any{n, hexOf(h.Sum(nil))}); diff != "" {
			t.Errorf("range %+v: (-want +got) length and SHA-256:\n%s", r, diff)
		}
	}
}
