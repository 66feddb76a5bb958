module github.com/jwtrot/jwtrot/cmd/demo

go 1.25.0

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtrot/jwtrot v0.1.0
	github.com/prometheus/client_golang v1.23.2
	github.com/prometheus/client_model v0.6.3
	github.com/redis/rueidis v1.0.79
	github.com/rogpeppe/go-internal v1.14.1
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/common v0.66.1 // indirect
	github.com/prometheus/procfs v0.16.1 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

require (
	github.com/jwtrot/jwtrot/extra/jwtrotprom v0.1.0
	github.com/jwtrot/jwtrot/extra/jwtrotredis v0.1.0
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
