package ocilocal

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// listFields are the fields a listing may ask for, by lowercase name.
var listFields = map[string]string{
	"name": "name", "size": "size", "etag": "etag", "md5": "md5",
	"timecreated": "timeCreated", "timemodified": "timeModified",
	"storagetier": "storageTier", "archivalstate": "archivalState",
}

// listParams are the query parameters common to ListObjects and
// ListObjectVersions.
type listParams struct {
	prefix, start, startAfter, end string
	delimiter                      bool
	limit                          int
	fields                         map[string]bool
}

func parseListParams(q url.Values) (listParams, error) {
	p := listParams{
		prefix: q.Get("prefix"), start: q.Get("start"), startAfter: q.Get("startAfter"), end: q.Get("end"),
		limit: 1000, fields: map[string]bool{"name": true},
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return p, badRequest("limit must be a number from 1 to 1000, not %q.", l)
		}
		p.limit = n
	}
	switch d := q.Get("delimiter"); d {
	case "":
	case "/":
		p.delimiter = true
	default:
		return p, badRequest("Only '/' is a supported delimiter, not %q.", d)
	}
	if f := q.Get("fields"); f != "" {
		for _, name := range strings.Split(f, ",") {
			canon, ok := listFields[strings.ToLower(strings.TrimSpace(name))]
			if !ok {
				return p, badRequest("Unknown field %q in fields: use name, size, etag, md5, timeCreated, timeModified, storageTier, archivalState.", name)
			}
			p.fields[canon] = true
		}
	}
	return p, nil
}

// firstIndex returns the index in names of the first name the listing may
// return, from start, startAfter and prefix.
func (p listParams) firstIndex(names []string) int {
	lower := max(p.start, p.prefix)
	i := sort.SearchStrings(names, lower)
	if p.startAfter != "" {
		if j := sort.SearchStrings(names, p.startAfter+"\x00"); j > i {
			i = j
		}
	}
	return i
}

// beyond reports whether name, and every name after it, is past the range.
func (p listParams) beyond(name string) bool {
	return (p.end != "" && name >= p.end) || (!strings.HasPrefix(name, p.prefix) && name > p.prefix)
}

// commonPrefix returns the prefix group name falls in when a delimiter is
// used, "" when it falls in none.
func (p listParams) commonPrefix(name string) string {
	if !p.delimiter {
		return ""
	}
	rest := name[len(p.prefix):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return p.prefix + rest[:j+1]
	}
	return ""
}

// skipPrefix returns the index of the first name after those starting with
// prefix cp (which ends in '/').
func skipPrefix(names []string, cp string) int {
	return sort.SearchStrings(names, cp[:len(cp)-1]+"0") // '0' follows '/'
}

type objectJSON struct {
	Name           string `json:"name"`
	VersionID      string `json:"versionId,omitempty"`
	IsDeleteMarker *bool  `json:"isDeleteMarker,omitempty"`
	Size           *int64 `json:"size,omitempty"`
	MD5            string `json:"md5,omitempty"`
	TimeCreated    string `json:"timeCreated,omitempty"`
	ETag           string `json:"etag,omitempty"`
	StorageTier    string `json:"storageTier,omitempty"`
	ArchivalState  string `json:"archivalState,omitempty"`
	TimeModified   string `json:"timeModified,omitempty"`
}

func (s *Server) summary(v *version, fields map[string]bool) objectJSON {
	o := objectJSON{Name: v.Name}
	if v.DeleteMarker {
		return o
	}
	if fields["size"] {
		size := v.Size
		o.Size = &size
	}
	if fields["md5"] {
		o.MD5 = v.MD5
	}
	if fields["etag"] {
		o.ETag = v.ETag
	}
	if fields["timeCreated"] {
		o.TimeCreated = formatTime(v.Time)
	}
	if fields["timeModified"] {
		o.TimeModified = formatTime(v.Time)
	}
	if fields["storageTier"] {
		o.StorageTier = v.StorageTier
	}
	if fields["archivalState"] {
		o.ArchivalState = v.archivalState(s.now())
	}
	return o
}

func (s *Server) listObjects(req request) error {
	p, err := parseListParams(req.r.URL.Query())
	if err != nil {
		return err
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	out := struct {
		Objects       []objectJSON `json:"objects"`
		Prefixes      []string     `json:"prefixes,omitempty"`
		NextStartWith string       `json:"nextStartWith,omitempty"`
	}{Objects: []objectJSON{}}
	names := b.sortedNames()
	items := 0
	for i := p.firstIndex(names); i < len(names); {
		name := names[i]
		if p.beyond(name) {
			break
		}
		cp := p.commonPrefix(name)
		if cp == "" && b.current(name) == nil {
			i++
			continue
		}
		next := name
		if cp != "" {
			next = cp
		}
		if items == p.limit {
			out.NextStartWith = next
			break
		}
		items++
		if cp != "" {
			out.Prefixes = append(out.Prefixes, cp)
			i = skipPrefix(names, cp)
			continue
		}
		out.Objects = append(out.Objects, s.summary(b.current(name), p.fields))
		i++
	}
	return writeJSON(req.w, http.StatusOK, out)
}

// versionPage is the position a ListObjectVersions page token stands for:
// the version to start at.
type versionPage struct {
	Name      string `json:"n"`
	VersionID string `json:"v"`
}

func (vp versionPage) token() string {
	b, _ := json.Marshal(vp)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseVersionPage(tok string) (versionPage, error) {
	var vp versionPage
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &vp)
	}
	if err != nil {
		return vp, badRequest("Invalid page token %q.", tok)
	}
	return vp, nil
}

func (s *Server) listObjectVersions(req request) error {
	q := req.r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	var page *versionPage
	if tok := q.Get("page"); tok != "" {
		vp, err := parseVersionPage(tok)
		if err != nil {
			return err
		}
		page = &vp
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	b, err := s.bucketLocked(req)
	if err != nil {
		return err
	}
	out := struct {
		Items    []objectJSON `json:"items"`
		Prefixes []string     `json:"prefixes,omitempty"`
	}{Items: []objectJSON{}}
	names := b.sortedNames()
	i := p.firstIndex(names)
	if page != nil {
		if j := sort.SearchStrings(names, page.Name); j > i {
			i = j
		}
	}
	items := 0
	var next string
scan:
	for ; i < len(names); i++ {
		name := names[i]
		if p.beyond(name) {
			break
		}
		if cp := p.commonPrefix(name); cp != "" {
			if items == p.limit {
				next = versionPage{Name: cp}.token()
				break
			}
			items++
			out.Prefixes = append(out.Prefixes, cp)
			i = skipPrefix(names, cp) - 1
			continue
		}
		vs := b.objects[name]
		k := len(vs) - 1 // newest first
		if page != nil && name == page.Name && page.VersionID != "" {
			for j := k; j >= 0; j-- {
				if vs[j].VersionID == page.VersionID {
					k = j
					break
				}
			}
		}
		for ; k >= 0; k-- {
			v := vs[k]
			if items == p.limit {
				next = versionPage{Name: name, VersionID: v.VersionID}.token()
				break scan
			}
			items++
			o := s.summary(v, p.fields)
			o.VersionID = v.VersionID
			dm := v.DeleteMarker
			o.IsDeleteMarker = &dm
			o.TimeModified = formatTime(v.Time)
			out.Items = append(out.Items, o)
		}
	}
	if next != "" {
		req.w.Header().Set("opc-next-page", next)
	}
	return writeJSON(req.w, http.StatusOK, out)
}
