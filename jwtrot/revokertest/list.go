package revokertest

import (
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// ListStore returns l as a [Store]: a [jwtrot.RevocationList] has the
// suite's writes itself. Pair it with [ListLose] as Config.Lose.
func ListStore(l *jwtrot.RevocationList) Store { return l }

// ListLose is the Config.Lose of a [ListStore]: it makes the list forget
// everything at this instant, as a restart would, with
// [jwtrot.RevocationList.Forget].
func ListLose(_ *testing.T, s Store) { s.(*jwtrot.RevocationList).Forget(time.Now()) }
