package listxml

import (
	"strconv"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithytime "github.com/aws/smithy-go/time"
)

// The values a listing repeats on every entry, kept as constants so that
// decoding them allocates nothing.
var common = []string{
	"STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
	"ONEZONE_IA", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE",
	"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "FULL_OBJECT", "COMPOSITE",
	"url", "true", "false", "null",
}

// value is d.text, but a common value is given without allocating.
func (d *decoder) value(name []byte, empty bool) string {
	if empty {
		return ""
	}
	start := d.i
	for _, c := range common {
		n := start + len(c)
		if n+2+len(name) < len(d.b) && string(d.b[start:n]) == c && d.b[n] == '<' && d.b[n+1] == '/' {
			d.i = n
			d.endTag(name)
			if d.err == nil {
				return c
			}
			return ""
		}
	}
	return d.text(name, empty)
}

func (d *decoder) str(name []byte, empty bool) *string {
	s := d.value(name, empty)
	return &s
}

func (d *decoder) boolean(name []byte, empty bool) *bool {
	v, err := strconv.ParseBool(d.value(name, empty))
	if err != nil {
		d.fail()
	}
	return &v
}

func (d *decoder) int32(name []byte, empty bool) *int32 {
	v, err := strconv.ParseInt(d.value(name, empty), 10, 64)
	if err != nil {
		d.fail()
	}
	n := int32(v) // as the SDK converts it
	return &n
}

func (d *decoder) int64(name []byte, empty bool) *int64 {
	v, err := strconv.ParseInt(d.value(name, empty), 10, 64)
	if err != nil {
		d.fail()
	}
	return &v
}

func (d *decoder) time(name []byte, empty bool) *time.Time {
	t, err := smithytime.ParseDateTime(d.value(name, empty))
	if err != nil {
		d.fail()
	}
	return &t
}

// ListObjectsV2 decodes the body of a successful ListObjectsV2 response
// into out, as the SDK's deserializer would, or gives ErrUnsupported. out
// is written to either way; on ErrUnsupported, decode into a fresh one.
func ListObjectsV2(body []byte, out *awss3.ListObjectsV2Output) error {
	d := &decoder{b: body}
	root, empty := d.root()
	if empty {
		return d.err
	}
	for d.err == nil {
		name, empty, ok := d.child(root)
		if !ok {
			break
		}
		switch string(name) {
		case "Contents":
			if out.Contents == nil {
				out.Contents = make([]types.Object, 0)
			}
			out.Contents = append(out.Contents, d.object(name, empty))
		case "CommonPrefixes":
			if out.CommonPrefixes == nil {
				out.CommonPrefixes = make([]types.CommonPrefix, 0)
			}
			out.CommonPrefixes = append(out.CommonPrefixes, d.commonPrefix(name, empty))
		case "ContinuationToken":
			out.ContinuationToken = d.str(name, empty)
		case "Delimiter":
			out.Delimiter = d.str(name, empty)
		case "EncodingType":
			out.EncodingType = types.EncodingType(d.value(name, empty))
		case "IsTruncated":
			out.IsTruncated = d.boolean(name, empty)
		case "KeyCount":
			out.KeyCount = d.int32(name, empty)
		case "MaxKeys":
			out.MaxKeys = d.int32(name, empty)
		case "Name":
			out.Name = d.str(name, empty)
		case "NextContinuationToken":
			out.NextContinuationToken = d.str(name, empty)
		case "Prefix":
			out.Prefix = d.str(name, empty)
		case "StartAfter":
			out.StartAfter = d.str(name, empty)
		default:
			d.other(name, empty, "Contents", "CommonPrefixes", "ContinuationToken", "Delimiter", "EncodingType",
				"IsTruncated", "KeyCount", "MaxKeys", "Name", "NextContinuationToken", "Prefix", "StartAfter")
		}
	}
	return d.err
}

// object decodes a Contents element.
func (d *decoder) object(parent []byte, empty bool) types.Object {
	var o types.Object
	if empty {
		return o
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "ChecksumAlgorithm":
			if o.ChecksumAlgorithm == nil {
				o.ChecksumAlgorithm = make([]types.ChecksumAlgorithm, 0)
			}
			o.ChecksumAlgorithm = append(o.ChecksumAlgorithm, types.ChecksumAlgorithm(d.value(name, empty)))
		case "ChecksumType":
			o.ChecksumType = types.ChecksumType(d.value(name, empty))
		case "ETag":
			o.ETag = d.str(name, empty)
		case "Key":
			o.Key = d.str(name, empty)
		case "LastModified":
			o.LastModified = d.time(name, empty)
		case "Owner":
			o.Owner = d.owner(name, empty, o.Owner)
		case "RestoreStatus":
			o.RestoreStatus = d.restoreStatus(name, empty, o.RestoreStatus)
		case "Size":
			o.Size = d.int64(name, empty)
		case "StorageClass":
			o.StorageClass = types.ObjectStorageClass(d.value(name, empty))
		default:
			d.other(name, empty, "ChecksumAlgorithm", "ChecksumType", "ETag", "Key", "LastModified", "Owner",
				"RestoreStatus", "Size", "StorageClass")
		}
	}
	return o
}

// commonPrefix decodes a CommonPrefixes element.
func (d *decoder) commonPrefix(parent []byte, empty bool) types.CommonPrefix {
	var p types.CommonPrefix
	if empty {
		return p
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "Prefix":
			p.Prefix = d.str(name, empty)
		default:
			d.other(name, empty, "Prefix")
		}
	}
	return p
}

// owner decodes an Owner element into o, or a new Owner if o is nil: a
// second Owner element adds to the first, as in the SDK.
func (d *decoder) owner(parent []byte, empty bool, o *types.Owner) *types.Owner {
	if o == nil {
		o = &types.Owner{}
	}
	if empty {
		return o
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "DisplayName":
			o.DisplayName = d.str(name, empty)
		case "ID":
			o.ID = d.str(name, empty)
		default:
			d.other(name, empty, "DisplayName", "ID")
		}
	}
	return o
}

// restoreStatus decodes a RestoreStatus element into r, or a new one if r
// is nil.
func (d *decoder) restoreStatus(parent []byte, empty bool, r *types.RestoreStatus) *types.RestoreStatus {
	if r == nil {
		r = &types.RestoreStatus{}
	}
	if empty {
		return r
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "IsRestoreInProgress":
			r.IsRestoreInProgress = d.boolean(name, empty)
		case "RestoreExpiryDate":
			r.RestoreExpiryDate = d.time(name, empty)
		default:
			d.other(name, empty, "IsRestoreInProgress", "RestoreExpiryDate")
		}
	}
	return r
}

// ListObjectVersions decodes the body of a successful ListObjectVersions
// response into out, as the SDK's deserializer would, or gives
// ErrUnsupported; see ListObjectsV2.
func ListObjectVersions(body []byte, out *awss3.ListObjectVersionsOutput) error {
	d := &decoder{b: body}
	root, empty := d.root()
	if empty {
		return d.err
	}
	for d.err == nil {
		name, empty, ok := d.child(root)
		if !ok {
			break
		}
		switch string(name) {
		case "Version":
			if out.Versions == nil {
				out.Versions = make([]types.ObjectVersion, 0)
			}
			out.Versions = append(out.Versions, d.objectVersion(name, empty))
		case "DeleteMarker":
			if out.DeleteMarkers == nil {
				out.DeleteMarkers = make([]types.DeleteMarkerEntry, 0)
			}
			out.DeleteMarkers = append(out.DeleteMarkers, d.deleteMarker(name, empty))
		case "CommonPrefixes":
			if out.CommonPrefixes == nil {
				out.CommonPrefixes = make([]types.CommonPrefix, 0)
			}
			out.CommonPrefixes = append(out.CommonPrefixes, d.commonPrefix(name, empty))
		case "Delimiter":
			out.Delimiter = d.str(name, empty)
		case "EncodingType":
			out.EncodingType = types.EncodingType(d.value(name, empty))
		case "IsTruncated":
			out.IsTruncated = d.boolean(name, empty)
		case "KeyMarker":
			out.KeyMarker = d.str(name, empty)
		case "MaxKeys":
			out.MaxKeys = d.int32(name, empty)
		case "Name":
			out.Name = d.str(name, empty)
		case "NextKeyMarker":
			out.NextKeyMarker = d.str(name, empty)
		case "NextVersionIdMarker":
			out.NextVersionIdMarker = d.str(name, empty)
		case "Prefix":
			out.Prefix = d.str(name, empty)
		case "VersionIdMarker":
			out.VersionIdMarker = d.str(name, empty)
		default:
			d.other(name, empty, "Version", "DeleteMarker", "CommonPrefixes", "Delimiter", "EncodingType", "IsTruncated",
				"KeyMarker", "MaxKeys", "Name", "NextKeyMarker", "NextVersionIdMarker", "Prefix", "VersionIdMarker")
		}
	}
	return d.err
}

// objectVersion decodes a Version element.
func (d *decoder) objectVersion(parent []byte, empty bool) types.ObjectVersion {
	var v types.ObjectVersion
	if empty {
		return v
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "ChecksumAlgorithm":
			if v.ChecksumAlgorithm == nil {
				v.ChecksumAlgorithm = make([]types.ChecksumAlgorithm, 0)
			}
			v.ChecksumAlgorithm = append(v.ChecksumAlgorithm, types.ChecksumAlgorithm(d.value(name, empty)))
		case "ChecksumType":
			v.ChecksumType = types.ChecksumType(d.value(name, empty))
		case "ETag":
			v.ETag = d.str(name, empty)
		case "IsLatest":
			v.IsLatest = d.boolean(name, empty)
		case "Key":
			v.Key = d.str(name, empty)
		case "LastModified":
			v.LastModified = d.time(name, empty)
		case "Owner":
			v.Owner = d.owner(name, empty, v.Owner)
		case "RestoreStatus":
			v.RestoreStatus = d.restoreStatus(name, empty, v.RestoreStatus)
		case "Size":
			v.Size = d.int64(name, empty)
		case "StorageClass":
			v.StorageClass = types.ObjectVersionStorageClass(d.value(name, empty))
		case "VersionId":
			v.VersionId = d.str(name, empty)
		default:
			d.other(name, empty, "ChecksumAlgorithm", "ChecksumType", "ETag", "IsLatest", "Key", "LastModified", "Owner",
				"RestoreStatus", "Size", "StorageClass", "VersionId")
		}
	}
	return v
}

// deleteMarker decodes a DeleteMarker element.
func (d *decoder) deleteMarker(parent []byte, empty bool) types.DeleteMarkerEntry {
	var m types.DeleteMarkerEntry
	if empty {
		return m
	}
	for d.err == nil {
		name, empty, ok := d.child(parent)
		if !ok {
			break
		}
		switch string(name) {
		case "IsLatest":
			m.IsLatest = d.boolean(name, empty)
		case "Key":
			m.Key = d.str(name, empty)
		case "LastModified":
			m.LastModified = d.time(name, empty)
		case "Owner":
			m.Owner = d.owner(name, empty, m.Owner)
		case "VersionId":
			m.VersionId = d.str(name, empty)
		default:
			d.other(name, empty, "IsLatest", "Key", "LastModified", "Owner", "VersionId")
		}
	}
	return m
}
