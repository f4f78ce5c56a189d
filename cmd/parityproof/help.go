package main

// Every help text of the command line is here, in one place, and each is
// golden-tested (testdata/help/*.txt; go test ./cmd/parityproof -run
// TestHelp -update rewrites them). A command's --help prints its text, then
// its flags as the flag package lists them.

const mainUsage = `parityproof proves that migrated objects have bit-identical copies in OCI
Object Storage before their legacy copies are deleted, then that the legacy
copies are gone. It never deletes anything.

Usage:
  parityproof run --config FILE [--restart | --rebase] [--quiet]
      verify every pair, write the ledger and the report
  parityproof check --config FILE
      check every store and location a run needs, changing nothing
  parityproof report --config FILE [--run ID]
      rebuild a run's report from its ledger
  parityproof bundle --config FILE [--run ID] --out DIR
      copy a run's report and all its evidence into one folder, for an auditor
  parityproof demo [--dir DIR] [--objects N] [--verbose]
      the whole life cycle on built-in emulators, no account needed
  parityproof attest public-key --config FILE
      print the public key of the configured signing key
  parityproof attest verify FILE [--config FILE] [--public-key FILE]
      recompute a report's or a certificate's digests and counts, and check its signature
  parityproof certify --config FILE (--prefix P | --key K) [--pair NAME] [--out DIR]
      a deletion certificate for one data subject's objects, from the ledgers
  parityproof explain --config FILE [--pair NAME] [--runs N] [--json] KEY
      the history of one key across runs: verdict, evidence, stores
  parityproof version
      print the version

Exit status:
  0  no exception or critical verdict (attest: it holds)
  1  exceptions or critical verdicts (attest: the report or certificate does
     not hold; certify: not certified)
  2  a permanent problem, which running again cannot fix until you do:
     usage, configuration, identity, permission, a store, bucket, namespace
     or location that does not exist or cannot be reached, a key file, a
     damaged previous ledger (attest: what was named is not a report).
     Found before a run is begun: nothing is left in progress.
  3  what running again can finish: an interruption, throttling, a timeout,
     another run holding the state location (a run resumes where it
     stopped; attest: the evidence could not be read).

Run 'parityproof COMMAND --help' for a command's options.
`

const runUsage = `Usage: parityproof run --config FILE [--restart | --rebase] [--quiet]

Checks every store and location first (as parityproof check does), takes
the state location's lease (one run writes a state location at a time),
publishes the last complete run's report if it was never published, then
plans the run's shards, verifies every pair (legacy stores against their OCI
target, and the previous run's ledger), writes the evidence ledger to the
state location and the report to the reports location, and prints the run
id and where the report is. A run that was interrupted resumes where it
stopped, with its own clock, and ends with the ledger an uninterrupted run
would have written.

If the previous run's ledger fails its digests, the run stops and names the
file: --rebase begins a new run from the listings alone, and its report
says which run's evidence was not used and why.

Exit status: 0 no exception or critical verdict; 1 exceptions or critical
verdicts found; 2 a permanent problem (configuration, identity, permission,
a store or location that does not exist or cannot be reached, a damaged
previous ledger): nothing was begun, fix it and run again; 3 the run could
not complete now (interrupted, throttled, timed out, or another run holds
the state location): run the command again to resume it.

Options:
`

const checkUsage = `Usage: parityproof check --config FILE

Checks, without changing anything, everything a run needs: opens every store
of every pair (reading its bucket, as a run does) and lists one page of it,
reads the state and reports locations and asks each whether writes are
allowed (a conditional write the store refuses without writing), and reads
the signing key if one is configured. Reports every problem at once, and
says who holds the state location's lease and which run is in progress.
parityproof run makes the same checks before it begins.

Exit status: 0 a run can begin; 2 a permanent problem (configuration,
identity, permission, a store or location that does not exist or cannot be
reached, a key file); 3 a problem that may pass (throttling, a timeout).

Options:
`

const bundleUsage = `Usage: parityproof bundle --config FILE [--run ID] --out DIR

Copies a run's published report (report.json, report.html, exceptions.csv,
summary.md, and attestation.json when it is signed) and all the evidence
behind it (the run record, the manifest and every ledger part) into one
folder, byte for byte: what an auditor receives. 'parityproof attest verify
DIR' checks it wherever it is copied or moved, without the state location.
Without --run, the newest complete run.

Exit status: 0 the bundle is written; 2 usage or configuration error, or no
complete run; 3 a file could not be read or written.

Options:
`

const reportUsage = `Usage: parityproof report --config FILE [--run ID]

Rebuilds a run's report (report.json, report.html, exceptions.csv,
summary.md) from its ledger, and publishes it to the reports location.
Without --run, the newest complete run. The stores are not contacted: only
the state and reports locations.

Exit status: 0 the run had no exception or critical verdict; 1 the run had
exceptions or critical verdicts (the report is published all the same); 2
usage or configuration error, or no such complete run; 3 the report could
not be built or published.

Options:
`

const demoUsage = `Usage: parityproof demo [--dir DIR] [--objects N] [--verbose]

Runs the whole life cycle on built-in emulators, with no account and no
network: an in-process S3 server holds two legacy buckets (one versioned),
ocilocal holds the OCI target. The demo seeds them with planted faults,
verifies the migration, deletes the legacy copies (not all cleanly),
verifies again, and prints where the report is and the commands that
check it, certify a data subject and explain a key.

Its clock is simulated: the first run is stamped with the time the demo
starts, the second with the same time a day later; the reports say so.

Exit status: 0 the demo ran (its reports hold exceptions on purpose); 2
usage error; 3 the demo could not complete.

Options:
`

const attestUsage = `Usage: parityproof attest verify FILE [--config FILE] [--public-key FILE]
       parityproof attest public-key --config FILE

verify recomputes, from the evidence alone, what FILE claims. FILE is a
report (report.json) or a deletion certificate (certificate.json, from
parityproof certify), by path or URL (file://, s3://, oci://), or a report's
folder or bundle.

For a report: the SHA-256 of the run record and of the manifest, of every
ledger file the manifest lists, the run record's fields (run, clock,
configuration, previous run, who ran it), the report's counts and
exceptions from the ledger entries, and — when the report is signed
(attestation.json beside it) — the signature of its root digest. The
evidence is read from the run bundle beside the report when there is one
(parityproof bundle writes it: a bundle copied or moved anywhere is checked
where it is, never the originals), else from the state location the report
names. For a certificate: the SHA-256 of every run's manifest and of every
ledger part it names, and every object's proofs and the statement, from the
entries of those parts.

--public-key names the key the report must be signed with (PEM, as
'parityproof attest public-key' prints it): the signature is checked with it
alone, offline. Without it, a signature is checked with the key it names,
which does not say who signed it.

S3 URLs are read with the default AWS credentials; --config lends its state
and reports locations' endpoints and credentials to URLs under them (needed
for oci:// and for emulators).

Exit status: 0 only if everything holds; 1 it does not hold (a digest, a
count, the run record or the signature differs, or evidence is missing),
naming the first file or number that does not; 2 FILE is not a report or
certificate (nothing is there, or something else is: latest.json,
report.html), or a usage error; 3 the evidence could not be read (a
network error): try again.

Options:
`

const publicKeyUsage = `Usage: parityproof attest public-key --config FILE

Prints the public key of the configuration's signing key (signing.key_file,
or signing.kms_key, whose public key KMS gives), as PEM, with its
fingerprint: give it to auditors, who check reports with
'parityproof attest verify FILE --public-key KEY.pem', offline.

Exit status: 0 printed; 2 usage or configuration error, or a key that
cannot be used.

Options:
`

const certifyUsage = `Usage: parityproof certify --config FILE (--prefix P | --key K) [--pair NAME] [--out DIR]

Answers a data subject's deletion request from the evidence: for every
object under the prefix (or the one key), its migration proof (evidence,
run, time) and its deletion proof (when each legacy copy, every version,
was last seen and first found gone), the runs and ledger digests behind
them, and an overall statement: certified, or not and why.

Only the ledger parts whose first and last keys cover the prefix are read,
from every complete run at the state location. The stores are not
contacted. The certificate is written as certificate.json and a
self-contained certificate.html into --out (default: the current folder);
'parityproof attest verify DIR/certificate.json' checks it.

Exit status: 0 certified; 1 not certified (the certificate says why); 2
usage or configuration error, or no complete run; 3 the ledgers could not
be read.

Options:
`

const explainUsage = `Usage: parityproof explain --config FILE [--pair NAME] [--runs N] [--json] KEY

Shows the history of one logical key across the complete runs at the state
location, newest first: its verdict and evidence in each run, the detail,
what every store held (presence, size, version, checksums), when parity was
first proven and when deletion was confirmed. For engineers chasing one
exception. Only the ledger part that may hold the key is read in each run.

Exit status: 0 the key was found; 1 no run's ledger holds the key; 2 usage
or configuration error; 3 the ledgers could not be read.

Options:
`

const versionUsage = `Usage: parityproof version

Prints parityproof's version (set at build time).
`
