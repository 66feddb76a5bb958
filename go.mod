module github.com/jwtrot/jwtrot

go 1.24.0

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/golang-jwt/jwt/v5 v5.3.1
)
