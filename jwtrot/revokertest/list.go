package revokertest

import (
	"context"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// ListStore adapts l to a [Store]: its writes take a context and return an
// error, which is always nil.
func ListStore(l *jwtrot.RevocationList) Store { return listStore{l} }

type listStore struct{ *jwtrot.RevocationList }

var (
	_ Store             = listStore{}
	_ jwtrot.UseCounter = listStore{}
)

func (s listStore) RevokeSubject(_ context.Context, subject string, notBefore time.Time) error {
	s.RevocationList.RevokeSubject(subject, notBefore)
	return nil
}

func (s listStore) RevokeID(_ context.Context, id string, expires time.Time) error {
	s.RevocationList.RevokeID(id, expires)
	return nil
}
