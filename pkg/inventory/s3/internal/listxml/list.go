package listxml

import (
	"strconv"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithytime "github.com/aws/smithy-go/time"
)

// value reads the text of the element name, whose start tag was just
// read, and its end tag. A value every entry repeats is given without
// allocating.
func (d *decoder) value(name []byte, empty bool) string {
	if empty {
		return ""
	}
	raw, decoded := d.chars()
	if d.err == nil {
		d.endTag(name)
	}
	switch {
	case d.err != nil:
		return ""
	case decoded:
		return string(d.scratch)
	}
	switch string(raw) {
	case "STANDARD":
		return "STANDARD"
	case "CRC64NVME":
		return "CRC64NVME"
	case "CRC32":
		return "CRC32"
	case "CRC32C":
		return "CRC32C"
	case "SHA256":
		return "SHA256"
	case "FULL_OBJECT":
		return "FULL_OBJECT"
	case "COMPOSITE":
		return "COMPOSITE"
	case "url":
		return "url"
	case "true":
		return "true"
	case "false":
		return "false"
	case "null":
		return "null"
	}
	return string(raw)
}

// slabSize is how many values of a kind are allocated at once: the
// pointers a listing's output holds point into a few slabs, not into a
// small allocation each.
const slabSize = 128

func take[T any](slab *[]T, v T) *T {
	if len(*slab) == cap(*slab) {
		*slab = make([]T, 0, slabSize)
	}
	*slab = append(*slab, v)
	return &(*slab)[len(*slab)-1]
}

func (d *decoder) str(name []byte, empty bool) *string {
	return take(&d.strs, d.value(name, empty))
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
	return take(&d.int64s, v)
}

func (d *decoder) time(name []byte, empty bool) *time.Time {
	s := d.value(name, empty)
	t, ok := parseUTC(s)
	if !ok {
		var err error
		if t, err = smithytime.ParseDateTime(s); err != nil {
			d.fail()
		}
	}
	return take(&d.times, t)
}

// parseUTC reads the two forms of time S3 and the stores here write,
// 2006-01-02T15:04:05Z and 2006-01-02T15:04:05.000Z, without the layout
// matching of time.Parse. Anything else, or any field out of its range,
// it leaves to smithytime.ParseDateTime (ok false).
func parseUTC(s string) (time.Time, bool) {
	if len(s) != 20 && (len(s) != 24 || s[19] != '.') || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	ms := 0
	if len(s) == 24 {
		ms = num(20, 3)
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		sec < 0 || sec > 59 || ms < 0 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*int(time.Millisecond), time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}

// ListObjectsV2 decodes the body of a successful ListObjectsV2 response
// into out, as the SDK's deserializer would, or gives ErrUnsupported. out
// is written to either way; on ErrUnsupported, decode into a fresh one.
func ListObjectsV2(body []byte, out *awss3.ListObjectsV2Output) error {
	d := &decoder{b: body}
	root, empty := d.root()
	d.each(root, empty, func(name []byte, empty bool) {
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
	})
	return d.err
}

// object decodes a Contents element.
func (d *decoder) object(parent []byte, empty bool) types.Object {
	var o types.Object
	d.each(parent, empty, func(name []byte, empty bool) {
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
	})
	return o
}

// commonPrefix decodes a CommonPrefixes element.
func (d *decoder) commonPrefix(parent []byte, empty bool) types.CommonPrefix {
	var p types.CommonPrefix
	d.each(parent, empty, func(name []byte, empty bool) {
		switch string(name) {
		case "Prefix":
			p.Prefix = d.str(name, empty)
		default:
			d.other(name, empty, "Prefix")
		}
	})
	return p
}

// owner decodes an Owner element into o, or a new Owner if o is nil: a
// second Owner element adds to the first, as in the SDK.
func (d *decoder) owner(parent []byte, empty bool, o *types.Owner) *types.Owner {
	if o == nil {
		o = &types.Owner{}
	}
	d.each(parent, empty, func(name []byte, empty bool) {
		switch string(name) {
		case "DisplayName":
			o.DisplayName = d.str(name, empty)
		case "ID":
			o.ID = d.str(name, empty)
		default:
			d.other(name, empty, "DisplayName", "ID")
		}
	})
	return o
}

// restoreStatus decodes a RestoreStatus element into r, or a new one if r
// is nil.
func (d *decoder) restoreStatus(parent []byte, empty bool, r *types.RestoreStatus) *types.RestoreStatus {
	if r == nil {
		r = &types.RestoreStatus{}
	}
	d.each(parent, empty, func(name []byte, empty bool) {
		switch string(name) {
		case "IsRestoreInProgress":
			r.IsRestoreInProgress = d.boolean(name, empty)
		case "RestoreExpiryDate":
			r.RestoreExpiryDate = d.time(name, empty)
		default:
			d.other(name, empty, "IsRestoreInProgress", "RestoreExpiryDate")
		}
	})
	return r
}

// ListObjectVersions decodes the body of a successful ListObjectVersions
// response into out, as the SDK's deserializer would, or gives
// ErrUnsupported; see ListObjectsV2.
func ListObjectVersions(body []byte, out *awss3.ListObjectVersionsOutput) error {
	d := &decoder{b: body}
	root, empty := d.root()
	d.each(root, empty, func(name []byte, empty bool) {
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
	})
	return d.err
}

// objectVersion decodes a Version element.
func (d *decoder) objectVersion(parent []byte, empty bool) types.ObjectVersion {
	var v types.ObjectVersion
	d.each(parent, empty, func(name []byte, empty bool) {
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
	})
	return v
}

// deleteMarker decodes a DeleteMarker element.
func (d *decoder) deleteMarker(parent []byte, empty bool) types.DeleteMarkerEntry {
	var m types.DeleteMarkerEntry
	d.each(parent, empty, func(name []byte, empty bool) {
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
	})
	return m
}
