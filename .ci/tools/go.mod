// CI's tools, not a published module (it is outside go.work and no tag
// names it): modproxy writes the working tree's modules as a file-based Go
// module proxy for .ci/publish-check; testsummary lists the tests that
// skipped, for .ci/test.
module jwtrot.example/ci/tools

go 1.26.0

require golang.org/x/mod v0.43.0
