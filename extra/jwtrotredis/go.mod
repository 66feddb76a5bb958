module github.com/jwtrot/jwtrot/extra/jwtrotredis

go 1.25.0

replace github.com/jwtrot/jwtrot => ../..

require (
	github.com/jwtrot/jwtrot v0.0.0-00010101000000-000000000000
	github.com/redis/rueidis v1.0.79
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
