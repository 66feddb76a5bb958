package revokertest_test

import (
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/jwtrot/revokertest"
	"github.com/jwtrot/jwtrot/rotation"
)

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

var _ rotation.Clock = systemClock{}

// The library's own in-memory list passes the suite.
func TestRevocationList(t *testing.T) {
	revokertest.Test(t, revokertest.Config{
		New: func(*testing.T) revokertest.Store {
			return revokertest.ListStore(jwtrot.NewRevocationList(systemClock{}, jwtrot.ListMaxAge(time.Hour)))
		},
		Lose: revokertest.ListLose,
	})
}
