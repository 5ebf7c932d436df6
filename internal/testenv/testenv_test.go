package testenv

import (
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

func TestRedisRange(t *testing.T) {
	for _, c := range []struct {
		url  string
		want dbRange
		db   int // the database the parsed options name
	}{
		{"redis://127.0.0.1:6379", dbRange{1, 15, true}, 0},
		{"redis://127.0.0.1:6379/0", dbRange{1, 15, true}, 0},
		{"redis://127.0.0.1:6379/3", dbRange{3, 3, false}, 3},
		{"redis://127.0.0.1:6379/3?dbs=4-15", dbRange{4, 15, false}, 3},
		{"redis://127.0.0.1:6379/?dbs=0", dbRange{0, 0, false}, 0},
		{"redis://127.0.0.1:6379/?dbs=9-9&dial_timeout=2s", dbRange{9, 9, false}, 0},
	} {
		opt, got, err := redisRange(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(dbRange{})); diff != "" || opt.DB != c.db {
			t.Errorf("%s: db %d, range (-want +got):\n%s", c.url, opt.DB, diff)
		}
	}
	for _, bad := range []string{"redis://h/?dbs=15-4", "redis://h/?dbs=x", "redis://h/?dbs=-1", "redis://h/?dbs=", "redis://h/?dbs=1-", "redis://h/?nope=1"} {
		if _, r, err := redisRange(bad); err == nil {
			t.Errorf("%s: accepted as %+v", bad, r)
		}
	}
}

// TestLeaseExcludes: a database leased in one mode is not leased again,
// in any mode, until released. It needs a real Redis, and flushes no
// database it did not lease (other runs may share the server).
func TestLeaseExcludes(t *testing.T) {
	raw := os.Getenv(envRedis)
	if raw == "" {
		if required() {
			t.Fatalf("%s=1 but %s is not set", envRequire, envRedis)
		}
		t.Skipf("needs %s", envRedis)
	}
	held := Redis(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawQuery = "/", "dbs="+strconv.Itoa(held.DB)
	opt, r, err := redisRange(u.String())
	if err != nil {
		t.Fatal(err)
	}
	if db, err := leaseRedisDB(t, *opt, r, 300*time.Millisecond); err == nil {
		t.Errorf("database %d leased twice (got %d)", held.DB, db)
	}
	// The database stays as the holder left it.
	c := redis.NewClient(held)
	defer c.Close()
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := leaseRedisDB(t, *opt, dbRange{first: held.DB, last: held.DB, legacy: true}, 300*time.Millisecond); err == nil {
		t.Errorf("database %d leased twice in the default mode", held.DB)
	}
	if v, _ := c.Get(t.Context(), "k").Result(); v != "v" {
		t.Errorf("the held database was flushed: k = %q", v)
	}
}
