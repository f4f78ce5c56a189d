package listxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/token"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// cannedResponse answers every request with one successful response, so
// that the SDK's own deserializer decodes body, unmodified.
type cannedResponse struct{ body []byte }

func (c cannedResponse) Do(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/xml"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

func sdkClient(body []byte) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String("http://s3.test"),
		UsePathStyle: true,
		HTTPClient:   cannedResponse{body},
		Retryer:      aws.NopRetryer{},
	})
}

func sdkObjectsV2(body []byte) (*awss3.ListObjectsV2Output, error) {
	return sdkClient(body).ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("b")})
}

func sdkObjectVersions(body []byte) (*awss3.ListObjectVersionsOutput, error) {
	return sdkClient(body).ListObjectVersions(context.Background(), &awss3.ListObjectVersionsInput{Bucket: aws.String("b")})
}

// sameOutput compares what the SDK and listxml decoded, field by field
// (pointers followed), leaving out the SDK's unexported markers and the
// request's metadata, which only a client sets.
var sameOutput = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && (!token.IsExported(sf.Name()) || sf.Name() == "ResultMetadata")
	}, cmp.Ignore()),
}

// agree checks the rule listxml keeps: a body it decodes (with decode)
// decodes to what the SDK gives (sdk). It reports whether listxml decoded
// it.
func agree[T any](t interface{ Fatalf(string, ...any) }, body []byte, decode func([]byte, *T) error, sdk func([]byte) (*T, error)) bool {
	var got T
	err := decode(body, &got)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("listxml gave %v, want nil or ErrUnsupported", err)
		}
		return false
	}
	want, sdkErr := sdk(body)
	if sdkErr != nil {
		t.Fatalf("listxml decoded a body the SDK refuses (%v):\n%s", sdkErr, body)
	}
	if diff := cmp.Diff(want, &got, sameOutput); diff != "" {
		t.Fatalf("decoded differently from the SDK (-sdk +listxml):\n%s\nbody:\n%s", diff, body)
	}
	return true
}

func agreeV2(t interface{ Fatalf(string, ...any) }, body []byte) bool {
	return agree(t, body, ListObjectsV2, sdkObjectsV2)
}

func agreeVersions(t interface{ Fatalf(string, ...any) }, body []byte) bool {
	return agree(t, body, ListObjectVersions, sdkObjectVersions)
}

// What S3 writes for a page of ListObjectsV2 with EncodingType url.
const s3PageV2 = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>legacy-us</Name><Prefix>users%2F</Prefix><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Contents><Key>users%2Fa%26b%2F%E2%82%AC.bin</Key><LastModified>2026-11-30T09:14:02.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1048576</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>users%2Fz</Key><LastModified>2026-11-30T09:14:03.000Z</LastModified><ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag><Size>10485760</Size><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>ops</DisplayName></Owner><StorageClass>GLACIER</StorageClass><RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2026-12-05T00:00:00.000Z</RestoreExpiryDate></RestoreStatus></Contents><CommonPrefixes><Prefix>users%2Fdir%2F</Prefix></CommonPrefixes></ListBucketResult>`

const s3PageVersions = `<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>legacy-sg</Name>
  <Prefix></Prefix>
  <KeyMarker></KeyMarker>
  <VersionIdMarker></VersionIdMarker>
  <NextKeyMarker>k2</NextKeyMarker>
  <NextVersionIdMarker>null</NextVersionIdMarker>
  <MaxKeys>3</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <DeleteMarker>
    <Key>k1</Key>
    <VersionId>3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo</VersionId>
    <IsLatest>true</IsLatest>
    <LastModified>2026-11-30T09:14:02.000Z</LastModified>
    <Owner><ID>75aa57f09aa0c8ca</ID></Owner>
  </DeleteMarker>
  <Version>
    <Key>k1</Key>
    <VersionId>null</VersionId>
    <IsLatest>false</IsLatest>
    <LastModified>2026-11-29T09:14:02.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>7</Size>
    <StorageClass>STANDARD</StorageClass>
  </Version>
  <Version>
    <Key>k2</Key>
    <VersionId>null</VersionId>
    <IsLatest>true</IsLatest>
    <LastModified>2026-11-29T09:14:02Z</LastModified>
    <ETag>&quot;x&quot;</ETag>
    <Size>0</Size>
    <StorageClass>DEEP_ARCHIVE</StorageClass>
    <ChecksumAlgorithm>SHA256</ChecksumAlgorithm>
    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
  </Version>
</ListVersionsResult>
`

// Responses as S3 and the stores here write them are decoded, not left to
// the SDK, and decode as the SDK decodes them.
func TestDecodesWhatStoresWrite(t *testing.T) {
	for name, body := range map[string]string{
		"S3 ListObjectsV2":                           s3PageV2,
		"empty listing":                              `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
		"self-closing elements":                      `<ListBucketResult><Name>b</Name><Prefix/><StartAfter/><Contents><Key>a</Key><Owner/><ChecksumAlgorithm/></Contents></ListBucketResult>`,
		"self-closing root":                          `<ListBucketResult/>`,
		"no declaration, indented, unknown elements": "<ListBucketResult>\n\t<Name>b</Name>\n\t<Future attr='1'><Deep><Er>x &amp; y</Er></Deep></Future>\n\t<Contents>\n\t\t<Key>k</Key>\n\t\t<Unknown/>\n\t</Contents>\n</ListBucketResult>\n",
		"text with entities and UTF-8":               `<ListBucketResult><Prefix>a&lt;b&gt;c&amp;d&apos;e&quot; € 😀 ]] &gt;</Prefix></ListBucketResult>`,
		"a second Owner adds to the first":           `<ListBucketResult><Contents><Owner><ID>i</ID></Owner><Owner><DisplayName>n</DisplayName></Owner></Contents></ListBucketResult>`,
		"repeated scalars, the last wins":            `<ListBucketResult><Name>a</Name><Name>b</Name><MaxKeys>1</MaxKeys><MaxKeys>4294967297</MaxKeys></ListBucketResult>`,
		"what follows the root is not read":          `<ListBucketResult><Name>b</Name></ListBucketResult><!-- trailing --> junk`,
	} {
		t.Run(name, func(t *testing.T) {
			if !agreeV2(t, []byte(body)) {
				t.Errorf("left to the SDK, want decoded:\n%s", body)
			}
		})
	}
	if !agreeVersions(t, []byte(s3PageVersions)) {
		t.Errorf("S3 ListObjectVersions left to the SDK, want decoded")
	}
}

// Anything outside the subset is left to the SDK: constructs encoding/xml
// reads differently (comments, CDATA, character references, carriage
// returns), names the SDK matches without regard to case, values the SDK
// refuses, and documents that are not well formed.
func TestLeavesToTheSDK(t *testing.T) {
	for name, body := range map[string]string{
		"comment":                  `<ListBucketResult><!-- c --><Name>b</Name></ListBucketResult>`,
		"comment before root":      `<!-- c --><ListBucketResult></ListBucketResult>`,
		"CDATA":                    `<ListBucketResult><Name><![CDATA[b]]></Name></ListBucketResult>`,
		"reference to a surrogate": `<ListBucketResult><Name>&#xD800;</Name></ListBucketResult>`,
		"reference to NUL":         `<ListBucketResult><Name>&#0;</Name></ListBucketResult>`,
		"reference past U+10FFFF":  `<ListBucketResult><Name>&#x110000;</Name></ListBucketResult>`,
		"reference that wraps":     `<ListBucketResult><Name>&#x100000041;</Name></ListBucketResult>`,
		"reference without digits": `<ListBucketResult><Name>&#;</Name></ListBucketResult>`,
		"reference with X":         `<ListBucketResult><Name>&#X41;</Name></ListBucketResult>`,
		"reference without ;":      `<ListBucketResult><Name>&#65 </Name></ListBucketResult>`,
		"unknown entity":           `<ListBucketResult><Name>&nbsp;</Name></ListBucketResult>`,
		"carriage return":          "<ListBucketResult><Name>a\r\nb</Name></ListBucketResult>",
		"control character":        "<ListBucketResult><Name>a\x01b</Name></ListBucketResult>",
		"invalid UTF-8":            "<ListBucketResult><Name>a\xffb</Name></ListBucketResult>",
		"not an XML character":     "<ListBucketResult><Name>a\uffffb</Name></ListBucketResult>",
		"]]> in text":              `<ListBucketResult><Name>a]]>b</Name></ListBucketResult>`,
		"name in another case":     `<ListBucketResult><name>b</name></ListBucketResult>`,
		"key in another case":      `<ListBucketResult><Contents><KEY>b</KEY></Contents></ListBucketResult>`,
		"namespace prefix":         `<s3:ListBucketResult xmlns:s3="x"><s3:Name>b</s3:Name></s3:ListBucketResult>`,
		"other encoding":           `<?xml version="1.0" encoding="ISO-8859-1"?><ListBucketResult/>`,
		"XML 1.1":                  `<?xml version="1.1"?><ListBucketResult/>`,
		"size not a number":        `<ListBucketResult><Contents><Size>12kB</Size></Contents></ListBucketResult>`,
		"empty size":               `<ListBucketResult><Contents><Size/></Contents></ListBucketResult>`,
		"bad time":                 `<ListBucketResult><Contents><LastModified>yesterday</LastModified></Contents></ListBucketResult>`,
		"bad bool":                 `<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>`,
		"element in a value":       `<ListBucketResult><Name>a<b/></Name></ListBucketResult>`,
		"text in a structure":      `<ListBucketResult><Contents>x<Key>k</Key></Contents></ListBucketResult>`,
		"mismatched end tag":       `<ListBucketResult><Name>b</Nam></ListBucketResult>`,
		"truncated":                `<ListBucketResult><Contents><Key>k</Key>`,
		"unquoted attribute":       `<ListBucketResult a=1></ListBucketResult>`,
		"< in an attribute":        `<ListBucketResult a="<"></ListBucketResult>`,
		"entity in attribute":      `<ListBucketResult a="&amp;"></ListBucketResult>`,
		"empty body":               ``,
		"a document of nothing":    `   `,
	} {
		t.Run(name, func(t *testing.T) {
			if agreeV2(t, []byte(body)) {
				t.Errorf("decoded, want it left to the SDK:\n%q", body)
			}
		})
	}
}

// FuzzListObjectsV2 holds the rule on any body: what listxml decodes, it
// decodes as the SDK does. `go test -fuzz FuzzListObjectsV2` explores;
// plain `go test` runs the seeds.
func FuzzListObjectsV2(f *testing.F) {
	f.Add([]byte(s3PageV2))
	f.Add([]byte(s3PageVersions))
	f.Add([]byte(`<a><Contents><Key>&amp;</Key><Size>-1</Size></Contents><Name b="c"/></a>`))
	f.Add([]byte(`<ListBucketResult><Contents><LastModified>2026-01-02T03:04:05.123456789Z</LastModified></Contents></ListBucketResult>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		agreeV2(t, body)
		agreeVersions(t, body)
	})
}

// The generated documents mix the subset with everything around it.
// Whatever listxml decodes must decode as the SDK does, and a document
// drawn from the subset alone must be decoded (not left to the SDK).
func TestGeneratedListingsDecodeAsTheSDKDoes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		plain := rapid.Bool().Draw(t, "plain")
		versions := rapid.Bool().Draw(t, "versions")
		g := &docGen{t: t, plain: plain}
		body := []byte(g.document(versions))
		var decoded bool
		if versions {
			decoded = agreeVersions(t, body)
		} else {
			decoded = agreeV2(t, body)
		}
		if plain && !decoded {
			t.Fatalf("a document in the subset was left to the SDK:\n%s", body)
		}
	})
}

// docGen draws listing documents; plain keeps to the subset listxml reads.
type docGen struct {
	t     *rapid.T
	plain bool
}

func (g *docGen) pick(label string, choices ...string) string {
	return choices[rapid.IntRange(0, len(choices)-1).Draw(g.t, label)]
}

// exotic says whether to leave the subset here.
func (g *docGen) exotic(label string) bool {
	return !g.plain && rapid.IntRange(0, 19).Draw(g.t, label) == 0
}

func (g *docGen) space() string {
	if g.exotic("space exotic") {
		return g.pick("odd space", "x", "<!-- c -->", "\r\n", "&amp;")
	}
	return g.pick("space", "", "", "\n", "\n  ", " ", "\t")
}

// name is n, or, leaving the subset, n in another case or with a prefix.
func (g *docGen) name(n string) string {
	if g.exotic("name exotic") {
		return g.pick("odd name", strings.ToLower(n), strings.ToUpper(n), "s3:"+n)
	}
	return n
}

func (g *docGen) text() string {
	var b strings.Builder
	for range rapid.IntRange(0, 6).Draw(g.t, "text parts") {
		if g.exotic("text exotic") {
			b.WriteString(g.pick("odd text", "&#xD800;", "&#0;", "&#x110000;", "&#0065;", "<![CDATA[c]]>", "\r", "\x01", "\xff", "\uffff", "]]>", "&nbsp;", "<b/>", "&"))
			continue
		}
		b.WriteString(g.pick("text part", "a", "Z", "0", "%2F", " ", "\t", "\n", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#34;", "&#x9;", "&#xD;", "&#8364;", "&#x1F600;", "€", "😀", "]", ">", "'", `"`, "-", "null", "STANDARD", "true"))
	}
	if g.plain {
		return strings.ReplaceAll(b.String(), "]]>", "]]&gt;") // "]]>" is not XML text
	}
	return b.String()
}

func (g *docGen) leaf(name, value string) string {
	n := g.name(name)
	if value == "" && rapid.Bool().Draw(g.t, "self-closing") {
		return "<" + n + "/>"
	}
	return "<" + n + ">" + value + "</" + n + ">"
}

func (g *docGen) number() string {
	if g.exotic("number exotic") {
		return g.pick("odd number", "", "1.5", "x", "99999999999999999999", " 1")
	}
	return g.pick("number", "0", "7", "-1", "1000", "4294967297", "9223372036854775807", "+3")
}

func (g *docGen) boolean() string {
	if g.exotic("bool exotic") {
		return g.pick("odd bool", "", "yes", "TRUE ")
	}
	return g.pick("bool", "true", "false", "1", "0", "True", "F")
}

func (g *docGen) time() string {
	if g.exotic("time exotic") {
		return g.pick("odd time", "", "yesterday", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00.000Z", "2026-11-30T24:00:00Z", "2026-11-30T23:59:60Z")
	}
	return g.pick("time", "2026-11-30T09:14:02.000Z", "2026-11-30T09:14:02Z", "2026-11-30T09:14:02.123456Z", "2026-11-30T09:14:02+01:00",
		"2024-02-29T23:59:59.999Z", "0001-01-01T00:00:00Z")
}

func (g *docGen) owner() string {
	var b strings.Builder
	b.WriteString("<" + g.name("Owner") + ">")
	for range rapid.IntRange(0, 3).Draw(g.t, "owner fields") {
		b.WriteString(g.space())
		switch g.pick("owner field", "ID", "DisplayName", "Other") {
		case "ID":
			b.WriteString(g.leaf("ID", g.text()))
		case "DisplayName":
			b.WriteString(g.leaf("DisplayName", g.text()))
		default:
			b.WriteString(g.leaf("Other", g.text()))
		}
	}
	return b.String() + g.space() + "</" + g.name("Owner") + ">"
}

func (g *docGen) restoreStatus() string {
	var b strings.Builder
	b.WriteString("<RestoreStatus>")
	for range rapid.IntRange(0, 3).Draw(g.t, "restore fields") {
		b.WriteString(g.space())
		if rapid.Bool().Draw(g.t, "in progress") {
			b.WriteString(g.leaf("IsRestoreInProgress", g.boolean()))
		} else {
			b.WriteString(g.leaf("RestoreExpiryDate", g.time()))
		}
	}
	return b.String() + g.space() + "</RestoreStatus>"
}

// entry draws a Contents, Version or DeleteMarker element.
func (g *docGen) entry(element string) string {
	fields := []string{"Key", "ETag", "Size", "LastModified", "StorageClass", "ChecksumAlgorithm", "ChecksumType", "Owner", "RestoreStatus", "Unknown"}
	if element != "Contents" {
		fields = append(fields, "VersionId", "IsLatest")
	}
	var b strings.Builder
	b.WriteString("<" + element + ">")
	for range rapid.IntRange(0, 8).Draw(g.t, "fields") {
		b.WriteString(g.space())
		switch f := g.pick("field", fields...); f {
		case "Size":
			b.WriteString(g.leaf(f, g.number()))
		case "LastModified":
			b.WriteString(g.leaf(f, g.time()))
		case "IsLatest":
			b.WriteString(g.leaf(f, g.boolean()))
		case "Owner":
			b.WriteString(g.owner())
		case "RestoreStatus":
			b.WriteString(g.restoreStatus())
		case "Unknown":
			b.WriteString(`<Unknown a="1"><Inner>` + g.text() + `</Inner>` + g.space() + `</Unknown>`)
		case "StorageClass":
			b.WriteString(g.leaf(f, g.pick("class", "STANDARD", "GLACIER", "", "standard")))
		default:
			b.WriteString(g.leaf(f, g.text()))
		}
	}
	return b.String() + g.space() + "</" + element + ">"
}

func (g *docGen) document(versions bool) string {
	var b strings.Builder
	b.WriteString(g.pick("declaration", "", `<?xml version="1.0" encoding="UTF-8"?>`, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
	if g.exotic("declaration exotic") {
		b.WriteString(g.pick("odd declaration", `<?xml version="1.0" encoding="latin1"?>`, "<!-- c -->", "<!DOCTYPE x>"))
	}
	root := "ListBucketResult"
	entries := []string{"Contents"}
	scalars := []string{"Name", "Prefix", "Delimiter", "ContinuationToken", "NextContinuationToken", "StartAfter", "EncodingType"}
	numbers := []string{"KeyCount", "MaxKeys"}
	if versions {
		root = "ListVersionsResult"
		entries = []string{"Version", "DeleteMarker"}
		scalars = []string{"Name", "Prefix", "Delimiter", "KeyMarker", "VersionIdMarker", "NextKeyMarker", "NextVersionIdMarker", "EncodingType"}
		numbers = []string{"MaxKeys"}
	}
	b.WriteString("<" + root + ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for range rapid.IntRange(0, 12).Draw(g.t, "elements") {
		b.WriteString(g.space())
		switch g.pick("element", "entry", "entry", "entry", "scalar", "number", "IsTruncated", "CommonPrefixes", "unknown") {
		case "entry":
			b.WriteString(g.entry(g.pick("entry kind", entries...)))
		case "scalar":
			b.WriteString(g.leaf(g.pick("scalar name", scalars...), g.text()))
		case "number":
			b.WriteString(g.leaf(g.pick("number name", numbers...), g.number()))
		case "IsTruncated":
			b.WriteString(g.leaf("IsTruncated", g.boolean()))
		case "CommonPrefixes":
			b.WriteString("<CommonPrefixes>" + g.space() + g.leaf("Prefix", g.text()) + g.space() + "</CommonPrefixes>")
		default:
			fmt.Fprintf(&b, "<Later><Deeper n='%d'>%s</Deeper></Later>", rapid.IntRange(0, 9).Draw(g.t, "n"), g.text())
		}
	}
	b.WriteString(g.space() + "</" + root + ">")
	return b.String()
}

// parseUTC reads the times it reads as smithytime.ParseDateTime does.
func TestParseUTCAgreesWithSmithy(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Each field ranges one past its limits on both sides.
		s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", rapid.IntRange(0, 9999).Draw(t, "year"),
			rapid.IntRange(0, 13).Draw(t, "month"), rapid.IntRange(0, 32).Draw(t, "day"), rapid.IntRange(0, 24).Draw(t, "hour"),
			rapid.IntRange(0, 60).Draw(t, "minute"), rapid.IntRange(0, 60).Draw(t, "second"))
		if rapid.Bool().Draw(t, "milliseconds") {
			s += fmt.Sprintf(".%03d", rapid.IntRange(0, 999).Draw(t, "ms"))
		}
		s += "Z"
		got, ok := parseUTC(s)
		want, err := smithytime.ParseDateTime(s)
		if ok && err != nil {
			t.Fatalf("parseUTC(%q) read a time smithytime refuses: %v", s, err)
		}
		if err == nil && !ok {
			t.Fatalf("parseUTC(%q) left a time of its form to smithytime", s)
		}
		if ok && (!got.Equal(want) || got.Location() != want.Location()) {
			t.Fatalf("parseUTC(%q) = %v, smithytime gives %v", s, got, want)
		}
	})
}
