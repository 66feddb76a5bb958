module github.com/jwtrot/jwtrot/cmd/demo

go 1.24.0

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtrot/jwtrot v0.0.0
	github.com/rogpeppe/go-internal v1.14.1
)

require (
	golang.org/x/sys v0.26.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)

replace github.com/jwtrot/jwtrot => ../..
