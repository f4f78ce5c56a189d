module github.com/parityproof/parityproof

go 1.26.8

require (
	github.com/google/go-cmp v0.7.0
	github.com/oracle/oci-go-sdk/v65 v65.130.0
)

require (
	github.com/aws/aws-lambda-go v1.55.1 // indirect
	github.com/gofrs/flock v0.10.0 // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	github.com/youmark/pkcs8 v0.0.0-20240726163527-a2c0da244d78 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/crypto v0.56.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)
