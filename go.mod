module github.com/jwtrot/jwtrot

go 1.26.8

require github.com/benbjohnson/clock v1.3.5

require github.com/golang-jwt/jwt/v5 v5.3.1
