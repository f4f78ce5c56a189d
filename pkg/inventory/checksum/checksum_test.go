package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parityproof/parityproof/pkg/inventory"
)

func TestParseETag(t *testing.T) {
	for _, tc := range []struct {
		etag string
		want inventory.Checksum
		ok   bool
	}{
		{`"9e107d9d372bb6826bd81d3542a419d6"`, inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromETag}, true},
		{`9E107D9D372BB6826BD81D3542A419D6`, inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromETag}, true},
		{`"d41d8cd98f00b204e9800998ecf8427e-12"`, inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: "d41d8cd98f00b204e9800998ecf8427e", Parts: 12, Source: inventory.FromETag}, true},
		{`"d41d8cd98f00b204e9800998ecf8427e-0"`, inventory.Checksum{}, false},
		{`"d41d8cd98f00b204e9800998ecf8427e-10001"`, inventory.Checksum{}, false},
		{`"d41d8cd98f00b204e9800998ecf8427"`, inventory.Checksum{}, false},
		{`"zz1d8cd98f00b204e9800998ecf8427e"`, inventory.Checksum{}, false},
		{`W/"opaque-oci-etag"`, inventory.Checksum{}, false},
		{`a3b8f0e2-6d1c-4f0e-9c6a-2b1d0e9f8a7c`, inventory.Checksum{}, false},
		{``, inventory.Checksum{}, false},
	} {
		got, ok := ParseETag(tc.etag)
		if ok != tc.ok {
			t.Errorf("ParseETag(%s) ok = %v, want %v", tc.etag, ok, tc.ok)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseETag(%s) (-want +got):\n%s", tc.etag, diff)
		}
	}
}

func TestParseBase64(t *testing.T) {
	for _, tc := range []struct {
		alg  inventory.Algorithm
		typ  inventory.ChecksumType
		in   string
		want inventory.Checksum
		err  string
	}{
		{inventory.MD5, "", "nhB9nTcrtoJr2B01QqQZ1g==", inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.FullObject, Value: "9e107d9d372bb6826bd81d3542a419d6", Source: inventory.FromListing}, ""},
		{inventory.MD5, "", "1B2M2Y8AsgTpgAmY7PhCfg==-3", inventory.Checksum{Algorithm: inventory.MD5, Type: inventory.Composite, Value: "d41d8cd98f00b204e9800998ecf8427e", Parts: 3, Source: inventory.FromListing}, ""},
		{inventory.CRC32C, inventory.FullObject, "4waSgw==", inventory.Checksum{Algorithm: inventory.CRC32C, Type: inventory.FullObject, Value: "e3069283", Source: inventory.FromListing}, ""},
		{inventory.CRC32C, inventory.Composite, "4waSgw==-2", inventory.Checksum{Algorithm: inventory.CRC32C, Type: inventory.Composite, Value: "e3069283", Parts: 2, Source: inventory.FromListing}, ""},
		{inventory.CRC64NVME, inventory.FullObject, "rosUhgp5mIg=", inventory.Checksum{Algorithm: inventory.CRC64NVME, Type: inventory.FullObject, Value: "ae8b14860a799888", Source: inventory.FromListing}, ""},
		{inventory.MD5, "", "4waSgw==", inventory.Checksum{}, `md5 checksum "4waSgw==" has 4 bytes, want 16`},
		{inventory.MD5, "", "not base64!", inventory.Checksum{}, `md5 checksum "not base64!" is not base64: illegal base64 data at input byte 3`},
		{inventory.MD5, "", "nhB9nTcrtoJr2B01QqQZ1g==-x", inventory.Checksum{}, `md5 checksum "nhB9nTcrtoJr2B01QqQZ1g==-x": part count "x" is not a number from 1 to 10000`},
		{"whirlpool", "", "nhB9nTcrtoJr2B01QqQZ1g==", inventory.Checksum{}, `unknown checksum algorithm "whirlpool"`},
	} {
		got, err := ParseBase64(tc.alg, tc.typ, tc.in, inventory.FromListing)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if diff := cmp.Diff(tc.err, gotErr); diff != "" {
			t.Errorf("ParseBase64(%s, %q) error (-want +got):\n%s", tc.alg, tc.in, diff)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseBase64(%s, %q) (-want +got):\n%s", tc.alg, tc.in, diff)
		}
		if err == nil {
			back, err := Base64(got)
			if err != nil || back != tc.in {
				t.Errorf("Base64(%v) = %q, %v; want %q", got, back, err, tc.in)
			}
		}
	}
}

// The standard check values of each CRC ("123456789").
func TestDigesterCheckValues(t *testing.T) {
	d := NewDigester(0)
	io.WriteString(d, "123456789")
	got := map[inventory.Algorithm]string{}
	for _, c := range d.Checksums() {
		got[c.Algorithm] = c.Value
	}
	want := map[inventory.Algorithm]string{
		inventory.MD5:       "25f9e794323b453885f5181f1b624d0b",
		inventory.CRC32C:    "e3069283",
		inventory.CRC64NVME: "ae8b14860a799888",
		inventory.SHA256:    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check values (-want +got):\n%s", diff)
	}
}

// compositeMD5 computes the multipart ETag the way S3 documents it, one
// part at a time, independently of the Digester.
func compositeMD5(content []byte, partSize int) (string, int) {
	var sums []byte
	parts := 0
	for off := 0; off < len(content); off += partSize {
		end := min(off+partSize, len(content))
		s := md5.Sum(content[off:end])
		sums = append(sums, s[:]...)
		parts++
	}
	s := md5.Sum(sums)
	return hex.EncodeToString(s[:]), parts
}

func TestDigesterCompositeMatchesPartByPartMD5(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef-parityproof-"), 1000) // 29,000 bytes
	for _, partSize := range []int{5000, 7, 29000, 28999, 1 << 20} {
		for _, chunk := range []int{1, 13, 4096, len(content)} {
			t.Run(fmt.Sprintf("part%d/write%d", partSize, chunk), func(t *testing.T) {
				d := NewDigester(int64(partSize))
				for off := 0; off < len(content); off += chunk {
					d.Write(content[off:min(off+chunk, len(content))])
				}
				value, parts := compositeMD5(content, partSize)
				var got []inventory.Checksum
				for _, c := range d.Checksums() {
					if c.Type == inventory.Composite && c.Algorithm == inventory.MD5 {
						got = append(got, c)
					}
				}
				want := []inventory.Checksum{{Algorithm: inventory.MD5, Type: inventory.Composite, Value: value, Parts: parts, PartSize: int64(partSize), Source: inventory.FromContent}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("composite md5 (-want +got):\n%s", diff)
				}
				if d.Size() != int64(len(content)) {
					t.Errorf("size %d, want %d", d.Size(), len(content))
				}
				// Checksums may be asked twice with the same answer.
				if diff := cmp.Diff(d.Checksums(), d.Checksums()); diff != "" {
					t.Errorf("second call differs:\n%s", diff)
				}
			})
		}
	}
}

func TestDigesterWithoutPartSizeHasNoComposite(t *testing.T) {
	d := NewDigester(0)
	d.Write([]byte("abc"))
	for _, c := range d.Checksums() {
		if c.Type != inventory.FullObject {
			t.Errorf("unexpected %v", c)
		}
	}
}
