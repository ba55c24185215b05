package cli

import (
	"context"
	"sync"

	"github.com/ecr-login/ecr-login/ecr"
)

// fakeFetcher is the one hand-written ecr.TokenFetcher of the cli tests: it
// records each call (registry and access) and answers with fetch.
// (ecr's own tests keep theirs: a shared one would import ecr from a package
// ecr's tests import.)
type fakeFetcher struct {
	fetch func(ctx context.Context, reg ecr.Registry, via ecr.Access) (ecr.Token, error)

	mu    sync.Mutex
	calls []ecr.Registry
	vias  []ecr.Access
}

func (f *fakeFetcher) FetchToken(ctx context.Context, reg ecr.Registry, via ecr.Access) (ecr.Token, error) {
	f.mu.Lock()
	f.calls = append(f.calls, reg)
	f.vias = append(f.vias, via)
	f.mu.Unlock()
	return f.fetch(ctx, reg, via)
}

// called returns the registries fetched for, in order.
func (f *fakeFetcher) called() []ecr.Registry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ecr.Registry(nil), f.calls...)
}

// accesses returns the access each fetch used, in order.
func (f *fakeFetcher) accesses() []ecr.Access {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ecr.Access(nil), f.vias...)
}
