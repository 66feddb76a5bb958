module github.com/jwtrot/jwtrot/extra/jwtrotpkcs11

go 1.24.0

replace github.com/jwtrot/jwtrot => ../..

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtrot/jwtrot v0.0.0-00010101000000-000000000000
	github.com/miekg/pkcs11 v1.1.2
)
