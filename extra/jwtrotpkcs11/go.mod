module github.com/jwtrot/jwtrot/extra/jwtrotpkcs11

go 1.24.0

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtrot/jwtrot v0.1.0
	github.com/miekg/pkcs11 v1.1.2
)
