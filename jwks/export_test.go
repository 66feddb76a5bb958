package jwks

import "time"

// WithRetryFloor sets the first wait after a failed fetch (default one
// second), so that tests of the backoff run in a fraction of a second.
func WithRetryFloor(d time.Duration) Option { return func(o *options) { o.retryFloor = d } }
