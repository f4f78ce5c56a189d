package ocilocal

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"
)

// This file checks OCI request signatures the way the real service does:
// draft-cavage-http-signatures-08 with RSA-SHA256 (PKCS #1 v1.5), a keyId of
// "tenancy/user/fingerprint", a signing string made of the listed headers,
// and a Date within the allowed clock skew.

// errUnauthenticated is wrapped by every signature failure; the server
// answers it with 401 NotAuthenticated, as the real service does.
var errUnauthenticated = errors.New("the request is not authenticated")

// errBodyHash is returned by a request body whose content does not match
// its signed x-content-sha256 header.
var errBodyHash = fmt.Errorf("%w: the body does not match the signed x-content-sha256 header", errUnauthenticated)

func unauthenticated(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnauthenticated, fmt.Sprintf(format, args...))
}

// signatureParams is a parsed Authorization header.
type signatureParams struct {
	version   string
	keyID     string
	algorithm string
	headers   []string
	signature []byte
}

// parseAuthorization parses `Signature version="1",keyId="...",...`.
func parseAuthorization(h string) (signatureParams, error) {
	var p signatureParams
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Signature") {
		return p, unauthenticated("the Authorization header is not an HTTP signature")
	}
	params := map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		if !ok || !strings.HasPrefix(after, `"`) {
			return p, unauthenticated("malformed Authorization header")
		}
		end := strings.IndexByte(after[1:], '"')
		if end < 0 {
			return p, unauthenticated("malformed Authorization header")
		}
		params[strings.TrimSpace(name)] = after[1 : 1+end]
		rest = strings.TrimLeft(after[2+end:], " ,")
	}
	p.version, p.keyID, p.algorithm = params["version"], params["keyId"], params["algorithm"]
	if p.keyID == "" {
		return p, unauthenticated("the signature has no keyId")
	}
	if p.algorithm != "rsa-sha256" {
		return p, unauthenticated("signature algorithm %q is not rsa-sha256", p.algorithm)
	}
	if p.version != "" && p.version != "1" {
		return p, unauthenticated("signature version %q is not 1", p.version)
	}
	headers := params["headers"]
	if headers == "" {
		headers = "date" // the draft's default
	}
	p.headers = strings.Fields(strings.ToLower(headers))
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil || len(sig) == 0 {
		return p, unauthenticated("the signature is not base64")
	}
	p.signature = sig
	return p, nil
}

// bodyOptional lists the operations whose bodies need not be signed: the
// real service lets PutObject and UploadPart leave the body headers out (the
// SDK does), because hashing a large body before sending it is costly.
var bodyOptional = map[string]bool{opPutObject: true, opUploadPart: true}

// authenticate checks r's signature. When x-content-sha256 is signed it
// replaces r.Body with a reader that fails with errBodyHash at the end of a
// body that does not match.
func (s *Server) authenticate(r *http.Request, op string) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return unauthenticated("the request has no Authorization header")
	}
	p, err := parseAuthorization(auth)
	if err != nil {
		return err
	}
	fingerprint := p.keyID[strings.LastIndexByte(p.keyID, '/')+1:]
	if strings.HasPrefix(p.keyID, "ST$") {
		return unauthenticated("session tokens (keyId ST$...) are not supported; sign with an API key")
	}
	pub, ok := s.keys[fingerprint]
	if !ok {
		return unauthenticated("no key with fingerprint %q is configured (keyId %q)", fingerprint, p.keyID)
	}

	signed := make(map[string]bool, len(p.headers))
	for _, h := range p.headers {
		signed[h] = true
	}
	required := []string{"(request-target)", "host"}
	if !signed["x-date"] {
		required = append(required, "date")
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if !bodyOptional[op] {
			required = append(required, "content-length", "content-type", "x-content-sha256")
		}
	}
	for _, h := range required {
		if !signed[h] {
			return unauthenticated("header %q must be signed", h)
		}
	}

	var lines []string
	for _, h := range p.headers {
		var v string
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + r.RequestURI
		case "host":
			v = r.Host
		case "content-length":
			// Go moves Content-Length out of the header map.
			v = r.Header.Get(h)
			if v == "" && r.ContentLength >= 0 {
				v = fmt.Sprint(r.ContentLength)
			}
		default:
			vs, ok := r.Header[http.CanonicalHeaderKey(h)]
			if !ok {
				return unauthenticated("signed header %q is missing from the request", h)
			}
			v = strings.Join(vs, ", ")
		}
		lines = append(lines, h+": "+v)
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], p.signature); err != nil {
		return unauthenticated("the signature does not verify with the key %q", fingerprint)
	}

	dateHeader := "Date"
	if signed["x-date"] {
		dateHeader = "X-Date"
	}
	date, err := http.ParseTime(r.Header.Get(dateHeader))
	if err != nil {
		return unauthenticated("the %s header %q is not an HTTP date", dateHeader, r.Header.Get(dateHeader))
	}
	if skew := s.now().Sub(date); skew > s.maxSkew || skew < -s.maxSkew {
		return unauthenticated("the %s header is %s away from the server's clock (at most %s allowed)", dateHeader, skew.Round(time.Second), s.maxSkew)
	}

	if signed["x-content-sha256"] {
		want, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Content-Sha256"))
		if err != nil || len(want) != sha256.Size {
			return unauthenticated("x-content-sha256 is not a base64 SHA-256")
		}
		r.Body = &bodyHashReader{r: r.Body, h: sha256.New(), want: want}
	}
	return nil
}

// bodyHashReader passes a request body through and, at its end, fails with
// errBodyHash unless the body's SHA-256 is want.
type bodyHashReader struct {
	r    io.ReadCloser
	h    hash.Hash
	want []byte
}

func (b *bodyHashReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF && subtle.ConstantTimeCompare(b.h.Sum(nil), b.want) != 1 {
		return n, errBodyHash
	}
	return n, err
}

func (b *bodyHashReader) Close() error { return b.r.Close() }
