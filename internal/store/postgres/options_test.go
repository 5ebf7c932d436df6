package postgres

import (
	"runtime"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestMaxConns checks how the pool is sized: pgxpool's default without
// WithMaxConns, WithMaxConns's n with it, and a pool_max_conns in the URL
// over both.
func TestMaxConns(t *testing.T) {
	url := testenv.PostgresURL(t)
	withParam := func(param string) string {
		if strings.Contains(url, "?") {
			return url + "&" + param
		}
		return url + "?" + param
	}
	for _, tc := range []struct {
		name string
		url  string
		opts []Option
		want int32
	}{
		{"default", url, nil, int32(max(4, runtime.NumCPU()))},
		{"WithMaxConns", url, []Option{WithMaxConns(17)}, 17},
		{"in the URL", withParam("pool_max_conns=3"), nil, 3},
		{"the URL wins", withParam("pool_max_conns=3"), []Option{WithMaxConns(17)}, 3},
	} {
		s, err := Open(t.Context(), tc.url, tc.opts...)
		if err != nil {
			t.Fatalf("%s: Open: %v", tc.name, err)
		}
		if got := s.pool.Config().MaxConns; got != tc.want {
			t.Errorf("%s: MaxConns = %d, want %d", tc.name, got, tc.want)
		}
		s.Close()
	}
	for _, n := range []int{0, -1} {
		if s, err := Open(t.Context(), url, WithMaxConns(n)); err == nil {
			s.Close()
			t.Errorf("Open(WithMaxConns(%d)) succeeded, want an error", n)
		}
	}
}
