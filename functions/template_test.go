package functions_test

// The deployment template rendered for chosen parameters: its Conditions
// and Rules evaluated as CloudFormation would, every Fn::If resolved, and
// what the stack would then hold checked — above all that the stack
// deployed with the default parameters needs no value left empty (an OCI
// key secret without its tenancy and user made every invocation fail).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

// cfnValue turns a template's YAML into plain values, the short forms of
// intrinsic functions (!Ref, !If, …) into their long forms ({"Ref": …},
// {"Fn::If": …}), as CloudFormation reads them.
func cfnValue(t *testing.T, n *yaml.Node) any {
	t.Helper()
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(t, n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfnValue(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, cfnValue(t, c))
		}
		v = l
	case yaml.ScalarNode:
		v = n.Value
	case yaml.AliasNode:
		return cfnValue(t, n.Alias)
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v
	}
	name := strings.TrimPrefix(tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			a, b, _ := strings.Cut(s, ".")
			v = []any{a, b}
		}
	}
	return map[string]any{"Fn::" + name: v}
}

// stack is the template rendered for parameters.
type stack struct {
	t          *testing.T
	template   map[string]any
	params     map[string]any // string or []string
	conditions map[string]bool
}

func render(t *testing.T, overrides map[string]string) *stack {
	t.Helper()
	return renderFile(t, "template.yaml", overrides)
}

// renderFile renders the template file (of the repository's root) for the
// parameters overrides and the others' defaults.
func renderFile(t *testing.T, file string, overrides map[string]string) *stack {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, template: cfnValue(t, &doc).(map[string]any), params: map[string]any{}, conditions: map[string]bool{}}
	for name, p := range s.template["Parameters"].(map[string]any) {
		p := p.(map[string]any)
		v, given := overrides[name]
		if !given {
			d, ok := p["Default"]
			if !ok {
				t.Fatalf("parameter %s has no default: the test must give it", name)
			}
			v = fmt.Sprint(d)
		}
		if p["Type"] == "CommaDelimitedList" {
			s.params[name] = strings.Split(v, ",")
		} else {
			s.params[name] = v
		}
	}
	for name := range overrides {
		if _, ok := s.params[name]; !ok {
			t.Fatalf("the template has no parameter %s", name)
		}
	}
	for name := range s.template["Conditions"].(map[string]any) {
		s.conditions[name] = s.condition(name)
	}
	return s
}

func (s *stack) condition(name string) bool {
	c, ok := s.template["Conditions"].(map[string]any)[name]
	if !ok {
		s.t.Fatalf("no condition %s", name)
	}
	return s.truth(c)
}

// truth evaluates a condition function.
func (s *stack) truth(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		s.t.Fatalf("not a condition function: %v", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return s.condition(arg.(string))
		case "Fn::Equals":
			return fmt.Sprint(s.value(args[0])) == fmt.Sprint(s.value(args[1]))
		case "Fn::Not":
			return !s.truth(args[0])
		case "Fn::And":
			for _, a := range args {
				if !s.truth(a) {
					return false
				}
			}
			return true
		case "Fn::Or":
			for _, a := range args {
				if s.truth(a) {
					return true
				}
			}
			return false
		case "Fn::EachMemberEquals":
			for _, m := range s.value(args[0]).([]string) {
				if m != s.value(args[1]).(string) {
					return false
				}
			}
			return true
		}
		s.t.Fatalf("condition function %s is not rendered by this test", fn)
	}
	return false
}

// value evaluates what conditions compare: parameters, literals, and the
// string functions they use.
func (s *stack) value(v any) any {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, s.value(x).(string))
		}
		return out
	case map[string]any:
		for fn, arg := range v {
			args, _ := arg.([]any)
			switch fn {
			case "Ref":
				p, ok := s.params[arg.(string)]
				if !ok {
					s.t.Fatalf("a condition refers to %s, which is no parameter", arg)
				}
				return p
			case "Fn::Join":
				return strings.Join(s.value(args[1]).([]string), s.value(args[0]).(string))
			case "Fn::Split":
				return strings.Split(s.value(args[1]).(string), s.value(args[0]).(string))
			case "Fn::Select":
				var i int
				fmt.Sscan(s.value(args[0]).(string), &i)
				return s.value(args[1]).([]string)[i]
			}
			s.t.Fatalf("function %s in a condition is not rendered by this test", fn)
		}
	}
	s.t.Fatalf("cannot evaluate %v", v)
	return nil
}

// noValue stands for AWS::NoValue while resolving.
type noValue struct{}

// resolve returns v with every Fn::If resolved and AWS::NoValue removed.
func (s *stack) resolve(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if arg, ok := v["Fn::If"]; ok && len(v) == 1 {
			args := arg.([]any)
			if s.conditions[args[0].(string)] {
				return s.resolve(args[1])
			}
			return s.resolve(args[2])
		}
		if ref, ok := v["Ref"]; ok && ref == "AWS::NoValue" {
			return noValue{}
		}
		out := map[string]any{}
		for k, x := range v {
			if r := s.resolve(x); r != (noValue{}) {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, x := range v {
			if r := s.resolve(x); r != (noValue{}) {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

// active returns the resources the stack creates, resolved, and the
// names of those it leaves out.
func (s *stack) active() (map[string]map[string]any, []string) {
	out := map[string]map[string]any{}
	var left []string
	for name, r := range s.template["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if c, ok := r["Condition"]; ok && !s.conditions[c.(string)] {
			left = append(left, name)
			continue
		}
		out[name] = s.resolve(r).(map[string]any)
	}
	slices.Sort(left)
	return out, left
}

// functionEnv is the functions' environment (Globals).
func (s *stack) functionEnv() map[string]any {
	g := s.resolve(s.template["Globals"]).(map[string]any)
	return g["Function"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
}

// refs calls fn with every Ref and Fn::GetAtt target in v, and with the
// parameters !Sub names.
func refs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "Ref":
				if s, ok := x.(string); ok {
					fn(s)
				}
			case "Fn::GetAtt":
				fn(x.([]any)[0].(string))
			}
			refs(x, fn)
		}
	case []any:
		for _, x := range v {
			refs(x, fn)
		}
	}
}

// statements returns the IAM statements of a function's policies, by Sid.
func statements(fn map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range fn["Properties"].(map[string]any)["Policies"].([]any) {
		doc, ok := p.(map[string]any)["Statement"]
		if !ok {
			continue
		}
		for _, st := range doc.([]any) {
			st := st.(map[string]any)
			out[st["Sid"].(string)] = st
		}
	}
	return out
}

// required are the parameters without defaults.
var required = map[string]string{"ConfigLocation": "s3://pp-config/parityproof.yaml", "LegacyBucketNames": "legacy-us-backups,legacy-sg-backups"}

func with(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range required {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// The stack deployed with the default parameters creates no OCI key
// secret and names none to the functions, refers to no parameter left
// empty and to no resource it leaves out, runs outside any VPC, and grants
// nothing of the estates' parameters.
func TestDefaultStackNeedsNoEmptyValue(t *testing.T) {
	s := render(t, required)
	if err := s.rules(); err != nil {
		t.Fatalf("the default parameters break a rule: %v", err)
	}
	res, left := s.active()
	if diff := cmp.Diff([]string{"ForwardedDeletionsFromAccounts", "ForwardedDeletionsFromOrganization", "OciApiKeySecret", "ReportTopicEmail"}, left); diff != "" {
		t.Errorf("resources left out (-want +got):\n%s", diff)
	}
	env := s.functionEnv()
	for _, v := range []string{"PARITYPROOF_OCI_KEY_SECRET", "PARITYPROOF_OCI_TENANCY", "PARITYPROOF_OCI_USER"} {
		if _, ok := env[v]; ok {
			t.Errorf("the functions' environment sets %s: %v", v, env[v])
		}
	}
	// Nothing active refers to an empty parameter or a resource left out.
	check := func(where string, v any) {
		refs(v, func(name string) {
			if slices.Contains(left, name) {
				t.Errorf("%s refers to %s, which the stack leaves out", where, name)
			}
			switch p := s.params[name].(type) {
			case string:
				if p == "" {
					t.Errorf("%s needs parameter %s, which is empty", where, name)
				}
			case []string:
				if strings.Join(p, "") == "" {
					t.Errorf("%s needs parameter %s, which is empty", where, name)
				}
			}
		})
	}
	for name, r := range res {
		check("resource "+name, r)
	}
	check("the functions' globals", s.resolve(s.template["Globals"]))
	for name, o := range s.template["Outputs"].(map[string]any) {
		o := o.(map[string]any)
		if c, ok := o["Condition"]; ok && !s.conditions[c.(string)] {
			continue
		}
		check("output "+name, s.resolve(o))
	}
	if g := s.resolve(s.template["Globals"]).(map[string]any)["Function"].(map[string]any); g["VpcConfig"] != nil {
		t.Errorf("the default stack runs the functions in a VPC: %v", g["VpcConfig"])
	}
	for _, fn := range []string{"VerifyFunction", "ReportFunction"} {
		var sids []string
		for sid := range statements(res[fn]) {
			sids = append(sids, sid)
		}
		for _, forbidden := range []string{"ReadOciKey", "AssumeStoreRoles", "ReadStoreSecrets", "DecryptThroughServices", "DecryptConfiguration", "ReadInventories"} {
			if slices.Contains(sids, forbidden) {
				t.Errorf("%s's default policies grant %s", fn, forbidden)
			}
		}
	}
}

// With the estates' parameters given, each grants exactly its own: the
// OCI key secret and its identity, the roles named and no others, the
// stores' secrets, KMS decryption only through S3, SSM and Secrets
// Manager, the inventories, and the functions in the subnets given.
func TestEstateParametersGrantTheirOwn(t *testing.T) {
	s := render(t, with(map[string]string{
		"OciTenancyOcid": "ocid1.tenancy.oc1..acme", "OciUserOcid": "ocid1.user.oc1..verifier",
		"RolesToAssume":        "arn:aws:iam::210987654321:role/parityproof-reader,arn:aws:iam::345678901234:role/parityproof-reader",
		"StoreSecretArns":      "arn:aws:secretsmanager:us-east-1:123456789012:secret:parityproof/legacy-dc-AbCdEf",
		"KmsKeyArns":           "arn:aws:kms:ap-southeast-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100",
		"InventoryBucketNames": "acme-inventory",
		"SubnetIds":            "subnet-0a1b2c3d,subnet-4e5f6a7b", "SecurityGroupIds": "sg-0123456789abcdef0",
		"ForwardingAccountIds": "210987654321,345678901234",
	}))
	if err := s.rules(); err != nil {
		t.Fatal(err)
	}
	res, left := s.active()
	if diff := cmp.Diff([]string{"ForwardedDeletionsFromOrganization", "ReportTopicEmail"}, left); diff != "" {
		t.Errorf("resources left out (-want +got):\n%s", diff)
	}
	// The home bus lets the named accounts put S3 deletion events, and
	// nothing else.
	bus := res["ForwardedDeletionsFromAccounts"]["Properties"].(map[string]any)["Statement"]
	if diff := cmp.Diff(map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": map[string]any{"Ref": "ForwardingAccountIds"}}, "Action": "events:PutEvents",
		"Resource":  map[string]any{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"},
		"Condition": map[string]any{"StringEquals": map[string]any{"events:source": "aws.s3", "events:detail-type": "Object Deleted"}},
	}, bus); diff != "" {
		t.Errorf("the home bus's policy (-want +got):\n%s", diff)
	}
	env := s.functionEnv()
	got := map[string]any{"secret": env["PARITYPROOF_OCI_KEY_SECRET"], "tenancy": env["PARITYPROOF_OCI_TENANCY"], "user": env["PARITYPROOF_OCI_USER"]}
	if diff := cmp.Diff(map[string]any{"secret": map[string]any{"Ref": "OciApiKeySecret"}, "tenancy": map[string]any{"Ref": "OciTenancyOcid"},
		"user": map[string]any{"Ref": "OciUserOcid"}}, got); diff != "" {
		t.Errorf("the functions' OCI key environment (-want +got):\n%s", diff)
	}
	vpc := s.resolve(s.template["Globals"]).(map[string]any)["Function"].(map[string]any)["VpcConfig"]
	if diff := cmp.Diff(map[string]any{"SubnetIds": map[string]any{"Ref": "SubnetIds"}, "SecurityGroupIds": map[string]any{"Ref": "SecurityGroupIds"}}, vpc); diff != "" {
		t.Errorf("VpcConfig (-want +got):\n%s", diff)
	}
	verify := statements(res["VerifyFunction"])
	pick := func(sid string, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			out[k] = verify[sid][k]
		}
		return out
	}
	if diff := cmp.Diff(map[string]any{"Action": "sts:AssumeRole", "Resource": map[string]any{"Ref": "RolesToAssume"}}, pick("AssumeStoreRoles", "Action", "Resource")); diff != "" {
		t.Errorf("AssumeStoreRoles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Action": "secretsmanager:GetSecretValue", "Resource": map[string]any{"Ref": "StoreSecretArns"}}, pick("ReadStoreSecrets", "Action", "Resource")); diff != "" {
		t.Errorf("ReadStoreSecrets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Action": "kms:Decrypt", "Resource": map[string]any{"Ref": "KmsKeyArns"}, "Condition": map[string]any{"StringLike": map[string]any{"kms:ViaService": []any{
		"s3.*.amazonaws.com", map[string]any{"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}, map[string]any{"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"},
	}}}}, pick("DecryptThroughServices", "Action", "Resource", "Condition")); diff != "" {
		t.Errorf("DecryptThroughServices (-want +got):\n%s", diff)
	}
	for _, sid := range []string{"ReadOciKey", "ListInventories", "ReadInventories"} {
		if verify[sid] == nil {
			t.Errorf("the verify function is not granted %s", sid)
		}
	}
	// Every sts:AssumeRole the stack grants is on the roles named.
	for name, r := range res {
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			continue
		}
		if _, ok := props["Policies"]; !ok {
			continue
		}
		for sid, st := range statements(r) {
			if strings.Contains(fmt.Sprint(st["Action"]), "sts:AssumeRole") && sid != "AssumeStoreRoles" {
				t.Errorf("%s grants sts:AssumeRole in %s", name, sid)
			}
		}
	}
}

// Targets in S3 are opened as stores are: their versioning is asked.
func TestStoresAreOpenedWithGetBucketVersioning(t *testing.T) {
	s := render(t, with(map[string]string{"TargetBucketNames": "us-users-s3"}))
	res, _ := s.active()
	verify := statements(res["VerifyFunction"])
	for _, sid := range []string{"ListLegacy", "ListTargets"} {
		if !slices.Contains(verify[sid]["Action"].([]any), any("s3:GetBucketVersioning")) {
			t.Errorf("%s lacks s3:GetBucketVersioning: %v", sid, verify[sid]["Action"])
		}
	}
}

// rules evaluates the template's Rules, returning the first assertion
// that fails.
func (s *stack) rules() error {
	rules, _ := s.template["Rules"].(map[string]any)
	for name, r := range rules {
		r := r.(map[string]any)
		if c, ok := r["RuleCondition"]; ok && !s.truth(c) {
			continue
		}
		for _, a := range r["Assertions"].([]any) {
			a := a.(map[string]any)
			if !s.truth(a["Assert"]) {
				return fmt.Errorf("rule %s: %s", name, a["AssertDescription"])
			}
		}
	}
	return nil
}

// The rules refuse half an OCI identity and subnets without security
// groups.
func TestTemplateRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"a tenancy without a user", map[string]string{"OciTenancyOcid": "ocid1.tenancy.oc1..acme"},
			"rule OciKeyNeedsBothOcids: The function-wide OCI API key needs both OciTenancyOcid and OciUserOcid, or neither."},
		{"a user without a tenancy", map[string]string{"OciUserOcid": "ocid1.user.oc1..verifier"},
			"rule OciKeyNeedsBothOcids: The function-wide OCI API key needs both OciTenancyOcid and OciUserOcid, or neither."},
		{"subnets without security groups", map[string]string{"SubnetIds": "subnet-0a1b2c3d"},
			"rule VpcNeedsSecurityGroups: Functions in subnets (SubnetIds) need security groups (SecurityGroupIds)."},
		{"both", map[string]string{"OciTenancyOcid": "ocid1.tenancy.oc1..acme", "OciUserOcid": "ocid1.user.oc1..verifier", "SubnetIds": "subnet-0a1b2c3d", "SecurityGroupIds": "sg-1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := render(t, with(tc.params)).rules()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("rules: %q, want %q", got, tc.want)
			}
		})
	}
}

// The forwarder puts the named buckets' deletion events on the home bus
// and nowhere else, through a role only EventBridge of its own account
// assumes, with a dead-letter queue only its rule may fill.
func TestForwarderTemplate(t *testing.T) {
	home := "arn:aws:events:us-east-1:123456789012:event-bus/default"
	s := renderFile(t, "template-forwarder.yaml", map[string]string{"BucketNames": "legacy-sg-backups", "HomeEventBusArn": home})
	res, left := s.active()
	if len(left) != 0 {
		t.Errorf("resources left out: %v", left)
	}
	rule := res["ForwardDeletionsRule"]["Properties"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"source": []any{"aws.s3"}, "detail-type": []any{"Object Deleted"},
		"detail": map[string]any{"bucket": map[string]any{"name": map[string]any{"Ref": "BucketNames"}}}}, rule["EventPattern"]); diff != "" {
		t.Errorf("the rule's pattern (-want +got):\n%s", diff)
	}
	target := rule["Targets"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{map[string]any{"Ref": "HomeEventBusArn"}, map[string]any{"Fn::GetAtt": []any{"ForwardRole", "Arn"}}, map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{"ForwardDLQ", "Arn"}}}},
		[]any{target["Arn"], target["RoleArn"], target["DeadLetterConfig"]}); diff != "" {
		t.Errorf("the rule's target (-want +got):\n%s", diff)
	}
	role := res["ForwardRole"]["Properties"].(map[string]any)
	st := role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]
	if diff := cmp.Diff([]any{map[string]any{"Sid": "PutDeletionEvents", "Effect": "Allow", "Action": "events:PutEvents", "Resource": map[string]any{"Ref": "HomeEventBusArn"}}}, st); diff != "" {
		t.Errorf("the forwarding role's policy (-want +got):\n%s", diff)
	}
	if a := res["ForwardDLQAlarm"]["Properties"].(map[string]any); a["AlarmActions"] != nil {
		t.Errorf("the alarm tells someone without AlarmTopicArn: %v", a["AlarmActions"])
	}
}
