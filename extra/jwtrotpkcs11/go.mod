module github.com/jwtrot/jwtrot/extra/jwtrotpkcs11

go 1.24.0

replace github.com/jwtrot/jwtrot => ../..

require (
	github.com/jwtrot/jwtrot v0.0.0-00010101000000-000000000000
	github.com/miekg/pkcs11 v1.1.2
)
