// Package layering holds the tests that keep the house to its shape, over
// the module's source. It has no code of its own:
//
//   - layering_test.go keeps the packages to the layers of
//     docs/architecture.md, from what `go list -deps` says they import;
//     golangci-lint's depguard rules (.golangci.yml) check the direct
//     imports of the same layers.
//   - constructors_test.go keeps SDK clients from being constructed
//     outside internal/awsclient and internal/ociclient, in non-test code.
package layering
