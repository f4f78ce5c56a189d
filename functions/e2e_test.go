package functions_test

// The end-to-end test of the Lambda functions: it builds both bootstrap
// binaries as `sam build` would (linux, -tags lambda.norpc), runs each in
// the Lambda Runtime Interface Emulator — the program `sam local invoke`
// runs inside its container — and invokes them over HTTP with every sample
// in events/, against moto_server (the legacy S3 buckets, the state and
// report buckets, SSM, Secrets Manager, SNS) and ocilocal (the OCI target).
//
// The emulator is installed with
//
//	go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
//
// (scripts/ci-lambda). Where it is missing the test skips saying so, except
// under CI=true, where it fails.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/parityproof/parityproof/internal/config"
	"github.com/parityproof/parityproof/internal/ledger"
	"github.com/parityproof/parityproof/internal/ocilocal"
	"github.com/parityproof/parityproof/internal/state"
	"github.com/parityproof/parityproof/internal/storage"
	"github.com/parityproof/parityproof/internal/testenv/motoserver"
	"github.com/parityproof/parityproof/internal/testenv/ocilocaltest"
)

// RIEVersion is the emulator's version, as the Go module proxy serves it.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// rieInstall says how to install the emulator.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion + " (or scripts/ci-lambda)"

// sampleRunID is the run id the samples in events/ carry; the test puts
// the real run's id in its place, as a user of `sam local invoke` would.
const sampleRunID = "20261128T220000Z-1a2b"

const (
	legacyUS  = "legacy-us-backups"
	legacySG  = "legacy-sg-backups"
	stateBkt  = "pp-state"
	reportBkt = "pp-reports"
	configBkt = "pp-config"
	ociNS     = "acmecorp"
	ociBucket = "us-users"
	keySecret = "parityproof/oci-api-key"
	topicName = "parityproof-reports"
)

func TestMain(m *testing.M) {
	motoserver.SetEnv()
	os.Exit(m.Run())
}

// findRIE returns the emulator's path: $AWS_LAMBDA_RIE, on the PATH, or in
// GOPATH/bin.
func findRIE(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("AWS_LAMBDA_RIE"), "aws-lambda-rie"}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			candidates = append(candidates, filepath.Join(p, "bin", "aws-lambda-rie"))
		}
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("aws-lambda-rie is not installed: %s", rieInstall)
	}
	t.Skipf("skipping: aws-lambda-rie is not installed; install it with: %s", rieInstall)
	return ""
}

// buildBootstraps builds both functions' bootstrap binaries, as SAM does.
func buildBootstraps(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, fn := range []string{"verify", "report"} {
		bin := filepath.Join(dir, fn, "bootstrap")
		out[fn] = bin
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./"+fn)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("building %s: %v\n%s", fn, err, b)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// function is one bootstrap running in the emulator.
type function struct {
	name   string
	url    string
	output *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startFunction runs bootstrap in the emulator with env added to the
// test's environment, and stops it when the test ends.
func startFunction(t *testing.T, rie, name, bootstrap string, env []string) *function {
	t.Helper()
	// Both the emulator's invocation API and the Runtime API it serves the
	// bootstrap on (9001 by default) take free ports, so that emulators can
	// run side by side.
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	runtimeAPI := "127.0.0.1:" + strconv.Itoa(freePort(t))
	f := &function{name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations", output: &syncBuffer{}}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAPI, bootstrap)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f.output, f.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s in the emulator: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, f.output.String())
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return f
		}
		select {
		case <-exited:
			t.Fatalf("the emulator of %s exited:\n%s", name, f.output.String())
		case <-time.After(50 * time.Millisecond):
		}
		if i > 600 {
			t.Fatalf("the emulator of %s does not answer on %s", name, addr)
		}
	}
}

// invoke sends payload and returns the function's answer, or its error
// message when the function failed.
func (f *function) invoke(t *testing.T, payload []byte) (answer []byte, funcErr string) {
	t.Helper()
	answer, funcErr, _ = f.invokeTyped(t, payload)
	return answer, funcErr
}

// invokeTyped is invoke, with the error's type (its name in Step
// Functions) when the function failed.
func (f *function) invokeTyped(t *testing.T, payload []byte) (answer []byte, funcErr, errType string) {
	t.Helper()
	resp, err := http.Post(f.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoking %s: %v", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoking %s: %s: %s", f.name, resp.Status, body)
	}
	var fe struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	if json.Unmarshal(body, &fe) == nil && fe.ErrorMessage != nil {
		return nil, *fe.ErrorMessage, fe.ErrorType
	}
	return body, "", ""
}

// call invokes and decodes the answer into v, failing on a function error.
func (f *function) call(t *testing.T, payload []byte, v any) {
	t.Helper()
	body, ferr := f.invoke(t, payload)
	if ferr != "" {
		t.Fatalf("%s failed on %s: %s", f.name, payload, ferr)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s answered %s: %v", f.name, body, err)
	}
}

// world is moto and ocilocal seeded with a migration.
type world struct {
	t       *testing.T
	moto    *motoserver.Server
	s3      *s3.Client
	oci     *ocilocal.Running
	ociCl   objectstorage.ObjectStorageClient
	key     *rsa.PrivateKey
	topic   string
	objects []string // logical keys
	// inbox is an SQS queue subscribed to the topic: what SNS delivered.
	sqs   *sqs.Client
	inbox string
}

func (w *world) awsOptions() (aws.Credentials, *http.Client) {
	return aws.Credentials{AccessKeyID: motoserver.AccessKeyID, SecretAccessKey: motoserver.SecretAccessKey}, &http.Client{}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, moto: motoserver.Start(t, motoserver.Options{})}
	creds, hc := w.awsOptions()
	w.s3 = s3.New(s3.Options{Region: motoserver.Region, BaseEndpoint: aws.String(w.moto.URL), UsePathStyle: true,
		Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: hc})
	oci := ocilocaltest.Start(t, ocilocaltest.Options{Server: ocilocal.Options{Namespace: ociNS}})
	w.oci, w.ociCl, w.key = oci.Server, oci.Client, ocilocaltest.Key()
	if _, err := w.ociCl.CreateBucket(ctx, objectstorage.CreateBucketRequest{NamespaceName: common.String(ociNS),
		CreateBucketDetails: objectstorage.CreateBucketDetails{Name: common.String(ociBucket), CompartmentId: common.String("ocid1.compartment.oc1..e2e")}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{legacyUS, legacySG, stateBkt, reportBkt, configBkt} {
		if _, err := w.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{legacyUS, stateBkt} {
		if _, err := w.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}

	// The keys the samples in events/ name, and a larger prefix whose shard
	// is slowed down until it meets its deadline. 00044/ never reached OCI.
	w.objects = []string{"00042/backup 1 été.bin", "00043/backup-1.bin", "00044/a+b?c#d.bin"}
	for i := 1; i <= 24; i++ {
		w.objects = append(w.objects, fmt.Sprintf("00731/backup-%d.bin", i))
	}
	for _, k := range w.objects {
		content := "content of " + k
		for _, b := range []string{legacyUS, legacySG} {
			if _, err := w.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("users/" + k), Body: strings.NewReader(content)}); err != nil {
				t.Fatal(err)
			}
		}
		if strings.HasPrefix(k, "00044/") {
			continue
		}
		if _, err := w.ociCl.PutObject(ctx, objectstorage.PutObjectRequest{NamespaceName: common.String(ociNS), BucketName: common.String(ociBucket),
			ObjectName: common.String("migrated/" + k), ContentLength: common.Int64(int64(len(content))),
			PutObjectBody: io.NopCloser(strings.NewReader(content))}); err != nil {
			t.Fatal(err)
		}
	}

	// The configuration in S3, the OCI key in Secrets Manager, the topic.
	cfg := fmt.Sprintf(`stores:
  legacy-us: {type: s3, bucket: %[1]s, prefix: users/, region: us-east-1, endpoint: %[4]s, path_style: true}
  legacy-sg: {type: s3, bucket: %[2]s, prefix: users/, region: ap-southeast-1, endpoint: %[4]s, path_style: true}
  oci-us: {type: oci, namespace: %[5]s, bucket: %[6]s, prefix: migrated/, region: us-ashburn-1, endpoint: %[7]s}
pairs:
  - {name: us-users, legacy: [legacy-us, legacy-sg], target: oci-us}
state: s3://%[3]s/state/?region=us-east-1&endpoint=%[4]s&path_style=true
reports: s3://%[8]s/reports/?region=us-east-1&endpoint=%[4]s&path_style=true
run:
  workers: 2
  page_size: 2
  checkpoint_every: 2
`, legacyUS, legacySG, stateBkt, w.moto.URL, ociNS, ociBucket, w.oci.Endpoint, reportBkt)
	if _, err := w.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(configBkt), Key: aws.String("parityproof.yaml"), Body: strings.NewReader(cfg)}); err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(w.key)})
	sm := secretsmanager.New(secretsmanager.Options{Region: motoserver.Region, BaseEndpoint: aws.String(w.moto.URL),
		Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: hc})
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(keySecret), SecretString: aws.String(string(keyPEM))}); err != nil {
		t.Fatal(err)
	}
	snsc := sns.New(sns.Options{Region: motoserver.Region, BaseEndpoint: aws.String(w.moto.URL),
		Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: hc})
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		t.Fatal(err)
	}
	w.topic = aws.ToString(topic.TopicArn)
	w.sqs = sqs.New(sqs.Options{Region: motoserver.Region, BaseEndpoint: aws.String(w.moto.URL),
		Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: hc})
	queue, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("compliance-inbox")})
	if err != nil {
		t.Fatal(err)
	}
	w.inbox = aws.ToString(queue.QueueUrl)
	qa, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	return w
}

// notification is an SNS message as the subscribed queue received it.
type notification struct{ Subject, Message string }

// notifications returns what SNS delivered since the last call.
func (w *world) notifications() []notification {
	w.t.Helper()
	var out []notification
	for {
		got, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.inbox), MaxNumberOfMessages: 10})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			return out
		}
		for _, m := range got.Messages {
			var n notification
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				w.t.Fatal(err)
			}
			out = append(out, n)
			if _, err := w.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(w.inbox), ReceiptHandle: m.ReceiptHandle}); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

// functionEnv is the environment the template gives both functions, here
// pointed at moto.
func (w *world) functionEnv(t *testing.T, timeout int, margin string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + w.moto.URL,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(timeout),
		"PARITYPROOF_CONFIG=s3://" + configBkt + "/parityproof.yaml",
		"PARITYPROOF_OCI_KEY_SECRET=" + keySecret,
		"PARITYPROOF_OCI_TENANCY=" + ocilocal.DefaultTenancy,
		"PARITYPROOF_OCI_USER=" + ocilocal.DefaultUser,
		"PARITYPROOF_SNS_TOPIC=" + w.topic,
		"PARITYPROOF_DEADLINE_MARGIN=" + margin,
		"TMPDIR=" + t.TempDir(),
	}
}

// stateVersions counts the object versions in the state bucket: a write
// that changes nothing still adds one.
func (w *world) stateVersions() int {
	w.t.Helper()
	n := 0
	p := s3.NewListObjectVersionsPaginator(w.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(stateBkt)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n
}

// purge deletes every version of a legacy key; delete only hides it behind
// a delete marker (in the versioned bucket).
func (w *world) purge(bucket, key string) {
	w.t.Helper()
	ctx := context.Background()
	k := "users/" + key
	out, err := w.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(k)})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(out.Versions) == 0 {
		w.delete(bucket, key)
		return
	}
	for _, v := range out.Versions {
		if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), VersionId: v.VersionId}); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) delete(bucket, key string) {
	w.t.Helper()
	if _, err := w.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/" + key)}); err != nil {
		w.t.Fatal(err)
	}
}

// ledgerOf reads a complete run's ledger from the state bucket.
func (w *world) ledgerOf(runID string) map[string]ledger.Verdict {
	w.t.Helper()
	ctx := context.Background()
	loc, err := config.ParseLocation(fmt.Sprintf("s3://%s/state/?region=us-east-1&endpoint=%s&path_style=true", stateBkt, w.moto.URL), "")
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := storage.Open(ctx, loc)
	if err != nil {
		w.t.Fatal(err)
	}
	m, _, err := state.New(st).ReadManifest(ctx, runID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]ledger.Verdict{}
	for _, p := range m.Pairs {
		for _, s := range p.Shards {
			for _, f := range s.Files {
				if err := state.New(st).ReadLedger(ctx, runID, f, func(e *ledger.Entry) error { out[e.Key] = e.Verdict; return nil }); err != nil {
					w.t.Fatal(err)
				}
			}
		}
	}
	return out
}

func (w *world) getJSON(bucket, key string, v any) {
	w.t.Helper()
	out, err := w.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		w.t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	if err := json.NewDecoder(out.Body).Decode(v); err != nil {
		w.t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
}

// samples reads every event in events/, with the sample run id replaced
// by runID.
func samples(t *testing.T, runID string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events in ../events: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = bytes.ReplaceAll(b, []byte(sampleRunID), []byte(runID))
	}
	return out
}

// Answers, as the functions encode them.
type (
	planAnswer struct {
		RunID    string `json:"run_id"`
		Complete bool   `json:"complete"`
		Count    int    `json:"count"`
		Location struct {
			URL           string `json:"url"`
			Bucket        string `json:"bucket"`
			Key           string `json:"key"`
			ResultsPrefix string `json:"results_prefix"`
		} `json:"location"`
	}
	shardTask struct {
		Action  string `json:"action"`
		RunID   string `json:"run_id"`
		Pair    string `json:"pair"`
		Start   string `json:"start"`
		End     string `json:"end"`
		Cursor  string `json:"cursor"`
		Stalled int    `json:"stalled"`
	}
	shardAnswer struct {
		Done    bool         `json:"done"`
		Cursor  string       `json:"cursor"`
		Counts  ledger.Tally `json:"counts"`
		Stalled int          `json:"stalled"`
	}
	runAnswer struct {
		RunID    string `json:"run_id"`
		Done     bool   `json:"done"`
		Report   string `json:"report"`
		Notified string `json:"notified"`
	}
	reportAnswer struct {
		RunID            string `json:"run_id"`
		Finished         bool   `json:"finished"`
		Complete         bool   `json:"complete"`
		UnverifiedShards int    `json:"unverified_shards"`
		Report           string `json:"report"`
		Exceptions       int    `json:"exceptions"`
		Critical         int64  `json:"critical"`
		Notified         string `json:"notified"`
		Counts           struct {
			Objects  int64                    `json:"objects"`
			Verdicts map[ledger.Verdict]int64 `json:"verdicts"`
		} `json:"counts"`
	}
	rejudgeAnswer struct {
		Rejudged []struct {
			Pair    string         `json:"pair"`
			Key     string         `json:"key"`
			Verdict ledger.Verdict `json:"verdict"`
			Warning string         `json:"warning"`
			Written bool           `json:"written"`
		} `json:"rejudged"`
		Ignored           []any `json:"ignored"`
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
)

// shardList reads the shard tasks a plan listed, as the Distributed Map's
// ItemReader does: the S3 object at the plan's bucket and key, one JSON
// object a line.
func (w *world) shardList(plan planAnswer) []shardTask {
	w.t.Helper()
	out, err := w.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(plan.Location.Bucket), Key: aws.String(plan.Location.Key)})
	if err != nil {
		w.t.Fatalf("reading the shard list s3://%s/%s: %v", plan.Location.Bucket, plan.Location.Key, err)
	}
	defer out.Body.Close()
	var tasks []shardTask
	sc := bufio.NewScanner(out.Body)
	for sc.Scan() {
		var task shardTask
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&task); err != nil {
			w.t.Fatalf("a line of the shard list: %q: %v", sc.Text(), err)
		}
		tasks = append(tasks, task)
	}
	if err := sc.Err(); err != nil {
		w.t.Fatal(err)
	}
	return tasks
}

func TestFunctionsInTheRuntimeInterfaceEmulator(t *testing.T) {
	rie := findRIE(t)
	w := newWorld(t)
	bins := buildBootstraps(t)

	verify := startFunction(t, rie, "verify", bins["verify"], w.functionEnv(t, 300, "30s"))
	// A second verify whose invocations last 8 seconds, 4 of them kept as
	// the safety margin: against a slowed-down OCI it meets its deadline.
	verifyShort := startFunction(t, rie, "verify (8s timeout)", bins["verify"], w.functionEnv(t, 8, "4s"))
	reportFn := startFunction(t, rie, "report", bins["report"], w.functionEnv(t, 300, "30s"))
	invoked := map[string]bool{}

	// plan-new-run.json begins a run and lists its shards at the run's
	// state prefix, as JSON Lines for the Distributed Map's ItemReader; its
	// answer names where, in a few hundred bytes. The shards are the
	// top-level prefixes.
	var plan planAnswer
	body, ferr := verify.invoke(t, samples(t, sampleRunID)["plan-new-run.json"])
	if ferr != "" {
		t.Fatalf("plan-new-run.json: %s", ferr)
	}
	if err := json.Unmarshal(body, &plan); err != nil {
		t.Fatal(err)
	}
	invoked["plan-new-run.json"] = true
	runID := plan.RunID
	listKey := "state/runs/" + runID + "/map/shards.jsonl"
	if plan.Count != 4 || plan.Location.URL != "s3://"+stateBkt+"/"+listKey || plan.Location.Bucket != stateBkt || plan.Location.Key != listKey ||
		plan.Location.ResultsPrefix != "state/runs/"+runID+"/map/results/" || len(body) >= 2048 {
		t.Errorf("plan-new-run.json answered (%d bytes) %s", len(body), body)
	}
	tasks := w.shardList(plan)
	var ranges [][2]string
	for _, task := range tasks {
		ranges = append(ranges, [2]string{task.Start, task.End})
		if task.Action != "shard" || task.RunID != runID || task.Pair != "us-users" || task.Cursor != "" || task.Stalled != 0 {
			t.Errorf("shard task %+v", task)
		}
	}
	if diff := cmp.Diff([][2]string{{"", "00043/"}, {"00043/", "00044/"}, {"00044/", "00731/"}, {"00731/", ""}}, ranges); diff != "" {
		t.Fatalf("planned shards (-want +got):\n%s", diff)
	}
	ev := samples(t, runID)
	// The run's record names who began it: the function's identity, as
	// STS (moto's) answers for it, and the OCI user of the key secret.
	var rec struct {
		RanBy *state.Identity `json:"ran_by"`
	}
	w.getJSON(stateBkt, "state/runs/"+runID+"/run.json", &rec)
	if rec.RanBy == nil || rec.RanBy.AWS == nil || rec.RanBy.AWS.ARN != "arn:aws:sts::123456789012:user/moto" || len(rec.RanBy.OCI) != 1 || rec.RanBy.OCI[0].User == "" {
		t.Errorf("the run's record names %+v as who began it", rec.RanBy)
	}

	// plan.json names the run: the same answer.
	var again planAnswer
	verify.call(t, ev["plan.json"], &again)
	invoked["plan.json"] = true
	if diff := cmp.Diff(plan, again); diff != "" {
		t.Errorf("plan.json (-plan-new-run +plan):\n%s", diff)
	}

	// shard.json: the first shard, in one invocation.
	var sh shardAnswer
	verify.call(t, ev["shard.json"], &sh)
	invoked["shard.json"] = true
	if !sh.Done || sh.Cursor != "00042/backup 1 été.bin" || sh.Counts.Count(ledger.Verified) != 1 || sh.Stalled != 0 {
		t.Errorf("shard.json: %+v", sh)
	}

	// The progress guard: the 00043/ shard against an OCI whose listing
	// never answers within the short function's 4 working seconds. Each
	// invocation ends with the cursor where it was, one more time in a
	// row; the third fails with ShardStalled, the error the state machine
	// does not retry.
	w.oci.SetFaults(ocilocal.Faults{Latency: 30 * time.Second, Operations: []string{"ListObjects"}})
	task := tasks[1]
	for n := 1; n <= 3; n++ {
		payload, _ := json.Marshal(task)
		body, ferr, ftype := verifyShort.invokeTyped(t, payload)
		if n == 3 {
			if ftype != "ShardStalled" || !strings.Contains(ferr, "shard 0002 of pair us-users (run "+runID+") has not moved from its start in 3 invocations") {
				t.Errorf("the third invocation without progress: %s (%s), want ShardStalled", ferr, ftype)
			}
			break
		}
		var a shardAnswer
		if ferr != "" || json.Unmarshal(body, &a) != nil || a.Done || a.Cursor != "" || a.Stalled != n {
			t.Fatalf("invocation %d without progress: %s %s", n, body, ferr)
		}
		task.Cursor, task.Stalled = a.Cursor, a.Stalled
	}
	w.oci.SetFaults(ocilocal.Faults{})
	// The Catch records the failure (shard-failed.json, as the state
	// machine sends it) before the child execution fails.
	var recorded struct{ Shard, Record string }
	verify.call(t, ev["shard-failed.json"], &recorded)
	invoked["shard-failed.json"] = true
	var failure state.Failure
	w.getJSON(stateBkt, "state/runs/"+runID+"/failures/us-users/0002.json", &failure)
	if recorded.Shard != "0002" || failure.Error != "ShardStalled" || failure.Shard.Range.Start != "00043/" || !strings.Contains(failure.Cause, "has not moved") {
		t.Errorf("shard-failed.json: answered %+v, recorded %+v", recorded, failure)
	}

	// shard-resume.json: the 00731/ shard against an OCI answering every
	// listing page 400ms late. Its 12 pages cannot all come in the 4
	// seconds the short function works, so it stops at a checkpoint and
	// answers done false; invoked again, it resumes from there.
	w.oci.SetFaults(ocilocal.Faults{Latency: 400 * time.Millisecond, Operations: []string{"ListObjects"}})
	var trail []shardAnswer
	for len(trail) < 20 && (len(trail) == 0 || !trail[len(trail)-1].Done) {
		var a shardAnswer
		verifyShort.call(t, ev["shard-resume.json"], &a)
		trail = append(trail, a)
	}
	invoked["shard-resume.json"] = true
	w.oci.SetFaults(ocilocal.Faults{})
	last := trail[len(trail)-1]
	if !last.Done || last.Cursor != "00731/backup-9.bin" || last.Counts.Count(ledger.Verified) != 24 || last.Counts.Objects != 24 {
		t.Errorf("the slow shard did not end whole: %+v", last)
	}
	// 12 pages at 400ms each cannot come within one 4-second invocation
	// however fast the machine: the first stops at its deadline. Some
	// invocation stopped after a checkpoint, and a later one resumed it.
	stopped := slices.IndexFunc(trail, func(a shardAnswer) bool { return !a.Done && a.Cursor != "" })
	if len(trail) < 2 || trail[0].Done || stopped < 0 {
		t.Errorf("the slow shard never stopped at a checkpoint: %+v", trail)
	}
	for i := 1; i < len(trail); i++ {
		if trail[i].Cursor < trail[i-1].Cursor || trail[i].Counts.Objects < trail[i-1].Counts.Objects {
			t.Errorf("invocation %d went back: %+v after %+v", i, trail[i], trail[i-1])
		}
	}

	// The 00044/ shard, as the Distributed Map would run it: its line of
	// the list, invoked again until done.
	runTask := func(task shardTask) {
		t.Helper()
		for range 20 {
			payload, _ := json.Marshal(task)
			var a shardAnswer
			verify.call(t, payload, &a)
			if a.Done {
				return
			}
			task.Cursor, task.Stalled = a.Cursor, a.Stalled
		}
		t.Fatalf("shard %+v never ended", task)
	}
	runTask(tasks[2])

	// The Map failed (its failed child): the Catch's report-failure.json
	// publishes the report of the shards done, naming the failed one, and
	// announces it on SNS with the run, the shard and the error.
	w.notifications()
	var partial reportAnswer
	reportFn.call(t, ev["report-failure.json"], &partial)
	invoked["report-failure.json"] = true
	if partial.Complete || partial.Finished || partial.UnverifiedShards != 1 || partial.RunID != runID || partial.Counts.Objects != 26 || partial.Notified == "" {
		t.Errorf("report-failure.json: %+v", partial)
	}
	notes := w.notifications()
	if len(notes) != 1 || notes[0].Subject != "parityproof "+runID+": not verified, 1 shards failed" ||
		!strings.Contains(notes[0].Message, `- pair us-users, shard 0002 ["00043/", "00044/"): ShardStalled: {"errorMessage":"shard 0002 of pair us-users`) ||
		!strings.Contains(notes[0].Message, "The run stopped at Shards: States.ExceedToleratedFailureThreshold") {
		t.Errorf("SNS delivered %+v", notes)
	}

	// Running the state machine again resumes the same run: the same plan,
	// and the failed shard verified now that its store answers.
	var rerun planAnswer
	verify.call(t, ev["plan-new-run.json"], &rerun)
	if diff := cmp.Diff(plan, rerun); diff != "" {
		t.Errorf("the plan of the execution run again (-first +again):\n%s", diff)
	}
	runTask(w.shardList(rerun)[1])

	// report-request.json: the report function finishes the run and
	// publishes its report.
	var rep reportAnswer
	reportFn.call(t, ev["report-request.json"], &rep)
	invoked["report-request.json"] = true
	if !rep.Finished || rep.RunID != runID || rep.Report != fmt.Sprintf("s3://%s/reports/%s/report.json", reportBkt, runID) ||
		rep.Counts.Objects != 27 || rep.Counts.Verdicts[ledger.Verified] != 26 || rep.Counts.Verdicts[ledger.Missing] != 1 || rep.Exceptions != 1 || rep.Notified == "" {
		t.Errorf("report-request.json: %+v", rep)
	}
	want := map[string]ledger.Verdict{}
	for _, k := range w.objects {
		want[k] = ledger.Verified
	}
	want["00044/a+b?c#d.bin"] = ledger.Missing
	if diff := cmp.Diff(want, w.ledgerOf(runID)); diff != "" {
		t.Errorf("the run's ledger (-want +got):\n%s", diff)
	}
	var published struct {
		Schema string          `json:"schema"`
		RunID  string          `json:"run_id"`
		RanBy  *state.Identity `json:"ran_by"`
		Ledger struct {
			Manifest string `json:"manifest"`
		} `json:"ledger"`
	}
	w.getJSON(reportBkt, "reports/"+runID+"/report.json", &published)
	if diff := cmp.Diff(rec.RanBy, published.RanBy); diff != "" {
		t.Errorf("report.json's ran_by (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"parityproof.report/v1", runID, fmt.Sprintf("s3://%s/state/runs/%s/manifest.json", stateBkt, runID)},
		[]string{published.Schema, published.RunID, published.Ledger.Manifest}); diff != "" {
		t.Errorf("report.json (-want +got):\n%s", diff)
	}

	// scheduled-event.json and schedule-v2-run.json: whole runs inline,
	// each with its report.
	var lastRun string
	for _, name := range []string{"scheduled-event.json", "schedule-v2-run.json"} {
		var ra runAnswer
		verify.call(t, ev[name], &ra)
		invoked[name] = true
		if !ra.Done || ra.RunID == runID || ra.RunID == lastRun || ra.Report != fmt.Sprintf("s3://%s/reports/%s/report.json", reportBkt, ra.RunID) || ra.Notified == "" {
			t.Errorf("%s: %+v", name, ra)
		}
		lastRun = ra.RunID
	}
	var latest struct {
		RunID string `json:"run_id"`
	}
	w.getJSON(reportBkt, "reports/latest.json", &latest)
	if diff := cmp.Diff(lastRun, latest.RunID); diff != "" {
		t.Errorf("latest.json (-want +got):\n%s", diff)
	}

	// certify.json: a data subject's deletion certificate, written to the
	// reports bucket. Nothing of 00042/ is deleted yet: not certified.
	var cert struct {
		Certified   bool   `json:"certified"`
		Statement   string `json:"statement"`
		Objects     int    `json:"objects"`
		Certificate string `json:"certificate"`
		HTML        string `json:"html"`
	}
	verify.call(t, ev["certify.json"], &cert)
	invoked["certify.json"] = true
	if cert.Certified || cert.Objects == 0 || !strings.HasPrefix(cert.Statement, "Not certified: ") ||
		!strings.HasPrefix(cert.Certificate, fmt.Sprintf("s3://%s/reports/certificates/us-users-00042/", reportBkt)) || !strings.HasSuffix(cert.HTML, "/certificate.html") {
		t.Errorf("certify.json: %+v", cert)
	}

	// Deletions, and the events telling of them. 00042 goes from both
	// legacy buckets, 00043 is hidden by a delete marker in one, 00044 —
	// never migrated — goes from both.
	w.purge(legacyUS, "00042/backup 1 été.bin")
	w.purge(legacySG, "00042/backup 1 été.bin")
	w.delete(legacyUS, "00043/backup-1.bin")
	w.purge(legacyUS, "00044/a+b?c#d.bin")
	w.purge(legacySG, "00044/a+b?c#d.bin")
	type judged struct {
		Key     string
		Verdict ledger.Verdict
		Warning bool // a key in no store and no ledger
		Written bool
	}
	rejudge := func(name string) []judged {
		t.Helper()
		var a rejudgeAnswer
		verify.call(t, ev[name], &a)
		invoked[name] = true
		if len(a.Ignored) != 0 {
			t.Errorf("%s: ignored %v", name, a.Ignored)
		}
		var out []judged
		for _, r := range a.Rejudged {
			out = append(out, judged{r.Key, r.Verdict, r.Warning != "", r.Written})
		}
		return out
	}
	wantJudged := map[string][]judged{
		"s3-object-removed.json":          {{"00042/backup 1 été.bin", ledger.Deleted, false, true}, {"00043/backup-1.bin", ledger.DeletionIncomplete, false, true}},
		"eventbridge-object-deleted.json": {{"00042/backup 1 été.bin", ledger.Deleted, false, true}},
		"sqs-s3-object-removed.json":      {{"00044/a+b?c#d.bin", ledger.DeletedUnverified, false, true}},
		// S3 Lifecycle expirations, direct and through EventBridge.
		"s3-lifecycle-expiration.json":          {{"00042/backup 1 été.bin", ledger.Deleted, false, true}, {"00043/backup-1.bin", ledger.DeletionIncomplete, false, true}},
		"eventbridge-lifecycle-expiration.json": {{"00042/backup 1 été.bin", ledger.Deleted, false, true}},
		// S3 -> SNS -> Lambda, and S3 -> SNS -> SQS; 00045 is in no store
		// and no ledger: a warning, never a silent nothing.
		"sns-s3-object-removed.json":     {{"00043/backup-1.bin", ledger.DeletionIncomplete, false, true}},
		"sqs-sns-s3-object-removed.json": {{"00044/a+b?c#d.bin", ledger.DeletedUnverified, false, true}, {"00045/gone-before-any-run.bin", "", true, true}},
	}
	// Each event delivered twice: the second delivery changes nothing (no
	// record written, no object version added to the state bucket, nothing
	// counted).
	for _, name := range []string{"s3-object-removed.json", "eventbridge-object-deleted.json", "sqs-s3-object-removed.json",
		"s3-lifecycle-expiration.json", "eventbridge-lifecycle-expiration.json", "sns-s3-object-removed.json", "sqs-sns-s3-object-removed.json"} {
		if diff := cmp.Diff(wantJudged[name], rejudge(name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		versions := w.stateVersions()
		var again []judged
		for _, j := range wantJudged[name] {
			again = append(again, judged{j.Key, j.Verdict, j.Warning, false})
		}
		if diff := cmp.Diff(again, rejudge(name)); diff != "" {
			t.Errorf("%s delivered again (-want +got):\n%s", name, diff)
		}
		if got := w.stateVersions(); got != versions {
			t.Errorf("%s delivered again added %d object versions to the state bucket", name, got-versions)
		}
	}
	// Each judgement that changed something was counted once, as an EMF
	// metric on stdout: critical the two of the never-migrated key.
	docs := emfDocs(t, verify.output.String(), "rejudge")
	var critical []float64
	for _, d := range docs {
		c, _ := d["critical"].(float64)
		critical = append(critical, c)
	}
	if diff := cmp.Diff([]float64{0, 0, 1, 0, 0, 0, 1}, critical); diff != "" {
		t.Errorf("critical verdicts in the EMF documents of the re-judgements (-want +got):\n%s", diff)
	}

	// S3 -> SNS -> SQS with a poison message among good ones: the good
	// message is re-judged (its deletion was already, so nothing is
	// written), the poison message alone is named in batchItemFailures.
	before := w.stateVersions()
	var poisoned rejudgeAnswer
	verify.call(t, ev["sqs-sns-poison.json"], &poisoned)
	invoked["sqs-sns-poison.json"] = true
	var gotPoisoned []judged
	for _, r := range poisoned.Rejudged {
		gotPoisoned = append(gotPoisoned, judged{r.Key, r.Verdict, r.Warning != "", r.Written})
	}
	if diff := cmp.Diff([]judged{{"00044/a+b?c#d.bin", ledger.DeletedUnverified, false, false}}, gotPoisoned); diff != "" {
		t.Errorf("sqs-sns-poison.json (-want +got):\n%s", diff)
	}
	if len(poisoned.BatchItemFailures) != 1 || poisoned.BatchItemFailures[0].ItemIdentifier != "0b5f3c1e-2c83-4b7a-9f0e-6a1f6f3e2a03" {
		t.Errorf("sqs-sns-poison.json: batchItemFailures %+v, want the poison message alone", poisoned.BatchItemFailures)
	}
	if got := w.stateVersions(); got != before {
		t.Errorf("sqs-sns-poison.json wrote %d object versions", got-before)
	}

	// An SQS batch with a poison message between two deletions: the
	// deletions are re-judged, and the poison message alone is named in
	// batchItemFailures (it returns to the queue, then to its dead-letter
	// queue). Delivered again, the same: nothing new written.
	w.purge(legacyUS, "00731/backup-1.bin")
	w.purge(legacySG, "00731/backup-2.bin")
	for delivery := range 2 {
		versions := w.stateVersions()
		var a rejudgeAnswer
		verify.call(t, ev["sqs-batch-with-poison.json"], &a)
		invoked["sqs-batch-with-poison.json"] = true
		var got []judged
		for _, r := range a.Rejudged {
			got = append(got, judged{r.Key, r.Verdict, r.Warning != "", r.Written})
		}
		written := delivery == 0
		want := []judged{{"00731/backup-1.bin", ledger.DeletionIncomplete, false, written}, {"00731/backup-2.bin", ledger.DeletionIncomplete, false, written}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sqs-batch-with-poison.json, delivery %d (-want +got):\n%s", delivery+1, diff)
		}
		if len(a.BatchItemFailures) != 1 || a.BatchItemFailures[0].ItemIdentifier != "0bad0bad-8d1b-4c1e-9a57-3b0a6d2f7e02" {
			t.Errorf("sqs-batch-with-poison.json, delivery %d: batchItemFailures %+v, want the poison message alone", delivery+1, a.BatchItemFailures)
		}
		if added := w.stateVersions() - versions; (added != 0) == !written || written && added != 2 {
			t.Errorf("sqs-batch-with-poison.json, delivery %d, added %d object versions to the state bucket", delivery+1, added)
		}
	}

	// S3's test event is acknowledged; unknown and malformed events are
	// refused; none of them writes anything.
	before = w.stateVersions()
	body, ferr = verify.invoke(t, ev["s3-test-event.json"])
	invoked["s3-test-event.json"] = true
	if diff := cmp.Diff(`{"ignored":"s3:TestEvent"}`, string(body)); diff != "" || ferr != "" {
		t.Errorf("s3-test-event.json (-want +got): %s\n%s", ferr, diff)
	}
	for payload, wantErr := range map[string]string{
		`{"hello":"world"}`:   `unrecognised event (no "action", "detail-type" or "Records")`,
		`{"action":"delete"}`: `unknown action "delete"`,
		`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"legacy-us-backups"},"object":{"key":"users/00043/backup-1.bin"}}}]}`: "record 0: no eventTime",
		`"run"`:    "the event is not a JSON object",
		`not json`: "invalid character", // refused by aws-lambda-go before the handler
	} {
		if _, ferr := verify.invoke(t, []byte(payload)); !strings.Contains(ferr, wantErr) {
			t.Errorf("verify answered %s with %q, want an error saying %q", payload, ferr, wantErr)
		}
	}
	if _, ferr := reportFn.invoke(t, []byte(`{"action":"run"}`)); !strings.Contains(ferr, `unknown field "action"`) {
		t.Errorf("report answered a verify request with %q", ferr)
	}
	if got := w.stateVersions(); got != before {
		t.Errorf("unknown or malformed events wrote %d object versions", got-before)
	}

	// scheduled-event.json to the report function: the newest run's report.
	var newest reportAnswer
	reportFn.call(t, ev["scheduled-event.json"], &newest)
	if newest.RunID != lastRun || newest.Finished || newest.Report == "" {
		t.Errorf("report of the newest run: %+v", newest)
	}

	// Every sample was invoked, and the key never reached any log.
	var all []string
	for name := range ev {
		all = append(all, name)
	}
	slices.Sort(all)
	var done []string
	for name := range invoked {
		done = append(done, name)
	}
	slices.Sort(done)
	if diff := cmp.Diff(all, done); diff != "" {
		t.Errorf("samples in events/ not invoked (-in events/ +invoked):\n%s", diff)
	}
	keyLine := strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(w.key)})), "\n")[1]
	for _, f := range []*function{verify, verifyShort, reportFn} {
		if strings.Contains(f.output.String(), keyLine) {
			t.Errorf("%s logged the OCI key", f.name)
		}
	}
}

// emfDocs returns the EMF documents of source in a function's output.
func emfDocs(t *testing.T, output, source string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"_aws"`)) {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			continue
		}
		if doc["source"] == source {
			out = append(out, doc)
		}
	}
	return out
}
