package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parityproof/parityproof/internal/certify"
	"github.com/parityproof/parityproof/internal/ledger"
)

// CertifyRequest asks for a deletion certificate:
// {"action": "certify", "prefix": "users/12345/"} or {"action":
// "certify", "key": "…"}, with "pair" to limit it to one pair.
type CertifyRequest struct {
	Action string `json:"action"`
	Prefix string `json:"prefix,omitempty"`
	Key    string `json:"key,omitempty"`
	Pair   string `json:"pair,omitempty"`
}

func decodeCertify(payload []byte) (Request, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var c CertifyRequest
	if err := dec.Decode(&c); err != nil {
		return Request{}, fmt.Errorf(`decoding the "certify" request: %w`, err)
	}
	if (c.Prefix == "") == (c.Key == "") {
		return Request{}, errors.New(`the "certify" request needs one of "prefix" or "key"`)
	}
	return Request{Kind: KindCertify, Certify: c}, nil
}

// CertifyAnswer is what a certify request returns: the statement, and
// where certificate.json and certificate.html are at the reports
// location.
type CertifyAnswer struct {
	Certified   bool                     `json:"certified"`
	Statement   string                   `json:"statement"`
	Reasons     []string                 `json:"reasons,omitempty"`
	Objects     int                      `json:"objects"`
	Counts      map[ledger.Verdict]int64 `json:"counts"`
	Certificate string                   `json:"certificate"`
	HTML        string                   `json:"html"`
}

// certify builds the certificate of a subject from the ledgers at the
// state location and writes it under certificates/ at the reports
// location.
func (inv *invocation) certify(ctx context.Context, req CertifyRequest) (*CertifyAnswer, error) {
	c, err := certify.Build(ctx, inv.runner.State(), certify.Subject{Prefix: req.Prefix, Key: req.Key, Pair: req.Pair},
		certify.Options{Now: inv.now(), ToolVersion: version})
	if err != nil {
		return nil, err
	}
	pub, err := certify.Publish(ctx, inv.runner.Reports(), certify.Folder(c), c, "parityproof")
	if err != nil {
		return nil, err
	}
	inv.log.Info("certificate written", "subject", c.Subject.String(), "certified", c.Certified, "certificate", pub.JSON)
	return &CertifyAnswer{Certified: c.Certified, Statement: c.Statement, Reasons: c.Reasons, Objects: len(c.Objects),
		Counts: c.Counts, Certificate: pub.JSON, HTML: pub.HTML}, nil
}

// now is the invocation's clock.
func (inv *invocation) now() time.Time {
	if inv.h.now != nil {
		return inv.h.now()
	}
	return time.Now()
}
