package jwtrotredis_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotredis"
	"github.com/redis/rueidis"
)

// Misconfiguration is refused at construction, with how to fix it: here a
// key prefix holding a hash tag, which would put every key in one cluster
// slot.
func ExampleNew_refused() {
	_, err := jwtrotredis.New(context.Background(),
		rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}},
		time.Hour, jwtrotredis.WithPrefix("{auth}:"))
	fmt.Println(err)
	// Output:
	// jwtrotredis: the key prefix holds '{' or '}': a hash tag would put every key in one cluster slot; choose a prefix without braces
}
