# Builds the Lambda functions' bootstrap binaries. `sam build` calls the
# build-<LogicalId> targets (template.yaml: BuildMethod makefile) with
# ARTIFACTS_DIR set; by hand: make build-VerifyFunction ARTIFACTS_DIR=out/verify

GOARCH ?= arm64
GO_LAMBDA_BUILD = GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags="-s -w"

.PHONY: build-VerifyFunction build-ReportFunction

build-VerifyFunction:
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/verify

build-ReportFunction:
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/report
