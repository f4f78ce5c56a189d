// Package layering holds the test that keeps the packages to the layers of
// docs/architecture.md, from what `go list -deps` says they import. It has
// no code of its own; golangci-lint's depguard rules (.golangci.yml) check
// the direct imports of the same layers.
package layering
