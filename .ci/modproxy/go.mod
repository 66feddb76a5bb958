// modproxy is CI's tool, not a published module (it is outside go.work and
// no tag names it): it writes the working tree's modules as a file-based Go
// module proxy, so .ci/publish-check can install them as a user would.
module jwtrot.example/ci/modproxy

go 1.26.0

require golang.org/x/mod v0.43.0
