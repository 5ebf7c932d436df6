// Package testenv gives tests their own Redis database and PostgreSQL
// database. With SWITCHBOARD_TEST_REDIS_URL / SWITCHBOARD_TEST_DATABASE_URL
// set they use the real services, isolated per test because the services
// are shared between runs; without them Redis falls back to miniredis and
// PostgreSQL-only tests skip. SWITCHBOARD_TEST_REQUIRE_SERVICES=1 (set by
// CI) turns a missing service into a failure instead.
//
// Which Redis databases a run may use follows the URL: redis://host/3
// confines it to database 3, redis://host/?dbs=4-15 to databases 4 to 15,
// and redis://host (or /0) uses 1 to 15 as before (see redisRange).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

const (
	envRedis   = "SWITCHBOARD_TEST_REDIS_URL"
	envDB      = "SWITCHBOARD_TEST_DATABASE_URL"
	envRequire = "SWITCHBOARD_TEST_REQUIRE_SERVICES"
)

func required() bool { return os.Getenv(envRequire) == "1" }

// RealRedis reports whether Redis tests run on a real server (which
// expires keys by itself, unlike miniredis).
func RealRedis() bool { return os.Getenv(envRedis) != "" }

// RealPostgres reports whether PostgreSQL tests run (or must run).
func RealPostgres() bool { return os.Getenv(envDB) != "" }

// Redis returns options for a Redis database the test has to itself, empty
// at the start. It is a real Redis when SWITCHBOARD_TEST_REDIS_URL is set
// (a database index leased for the test and flushed around it, see
// redisRange for which), otherwise an in-process miniredis.
func Redis(t testing.TB) *redis.Options {
	t.Helper()
	raw := os.Getenv(envRedis)
	if raw == "" {
		if required() {
			t.Fatalf("%s=1 but %s is not set", envRequire, envRedis)
		}
		mr := miniredis.RunT(t)
		return &redis.Options{Addr: mr.Addr()}
	}
	opt, r, err := redisRange(raw)
	if err != nil {
		t.Fatalf("%s: %v", envRedis, err)
	}
	db, err := leaseRedisDB(t, *opt, r, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	opt.DB = db
	return opt
}

// RedisURL is Redis as a URL, for code configured by URL.
func RedisURL(t testing.TB) string {
	t.Helper()
	o := Redis(t)
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

// dbRange is the Redis databases tests may lease, first to last.
type dbRange struct {
	first, last int
	// legacy also takes the claim keys older versions of this package
	// keep in database 0, so that they and this one never share a
	// database on a shared Redis.
	legacy bool
}

// redisRange reads SWITCHBOARD_TEST_REDIS_URL. Tests lease databases from:
//
//   - the range of its dbs parameter, "A-B" or "A" (redis://host/?dbs=4-15);
//   - otherwise the database index of its path, alone (redis://host/3): the
//     run is confined to it, and its tests take turns;
//   - otherwise (redis://host or redis://host/0) databases 1 to 15, with
//     database 0 holding the claim keys older versions of this package
//     used (as before), so that they and this one never share a database.
//
// Leases are Pub/Sub subscriptions to switchboard:test:lease:<index>, which
// are no database's, so with a dbs range or an index nothing is written
// outside the leased databases, and a lease ends with the connection
// holding it even when a test process dies.
func redisRange(raw string) (*redis.Options, dbRange, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, dbRange{}, err
	}
	q := u.Query()
	dbs, hasDBs := q.Get("dbs"), q.Has("dbs")
	q.Del("dbs")
	u.RawQuery = q.Encode()
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, dbRange{}, err
	}
	switch {
	case hasDBs:
		a, b, ok := strings.Cut(dbs, "-")
		if !ok {
			b = a
		}
		first, err1 := strconv.Atoi(a)
		last, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || first < 0 || last < first {
			return nil, dbRange{}, fmt.Errorf("dbs=%q: want A-B or A with 0 <= A <= B", dbs)
		}
		return opt, dbRange{first: first, last: last}, nil
	case opt.DB != 0:
		return opt, dbRange{first: opt.DB, last: opt.DB}, nil
	}
	return opt, dbRange{first: 1, last: 15, legacy: true}, nil
}

// leaseRedisDB leases one of r's databases for t, flushed, waiting up to
// wait for one to be free, so concurrent test processes (and CI beside a
// developer) never share one.
func leaseRedisDB(t testing.TB, opt redis.Options, r dbRange, wait time.Duration) (int, error) {
	t.Helper()
	ctx := context.Background()
	// Pub/Sub is not per database: the control client never selects a
	// database outside the range.
	opt.DB = r.first
	ctl := redis.NewClient(&opt)
	t.Cleanup(func() { ctl.Close() })
	var legacyCtl *redis.Client
	if r.legacy {
		o := opt
		o.DB = 0
		legacyCtl = redis.NewClient(&o)
		t.Cleanup(func() { legacyCtl.Close() })
	}
	token := randomHex(8)
	deadline := time.Now().Add(wait)
	for {
		for db := r.first; db <= r.last; db++ {
			release, ok, err := claim(ctx, ctl, legacyCtl, db, token)
			if err != nil {
				return 0, fmt.Errorf("redis at %s: %w", opt.Addr, err)
			}
			if !ok {
				continue
			}
			o := opt
			o.DB = db
			c := redis.NewClient(&o)
			if err := c.FlushDB(ctx).Err(); err != nil {
				release()
				c.Close()
				return 0, fmt.Errorf("redis flush db %d: %w", db, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				release()
			})
			return db, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no free Redis test database (%d-%d) after %v", r.first, r.last, wait)
		}
		time.Sleep(time.Duration(100+mrand.IntN(200)) * time.Millisecond)
	}
}

// claim tries to lease database db: subscribe to its lease channel, then
// count the subscribers. Whoever counts one holds it; two claimants that
// both subscribed both count two (the later count sees the earlier
// subscription), back off and try again. With legacyCtl, the claim key
// older versions set in database 0 is taken too.
func claim(ctx context.Context, ctl, legacyCtl *redis.Client, db int, token string) (release func(), ok bool, err error) {
	ch := fmt.Sprintf("switchboard:test:lease:%d", db)
	ps := ctl.Subscribe(ctx, ch)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, false, err
	}
	n, err := ctl.PubSubNumSub(ctx, ch).Result()
	if err != nil || n[ch] != 1 {
		ps.Close()
		return nil, false, err
	}
	if legacyCtl == nil {
		return func() { ps.Close() }, true, nil
	}
	key := ch // the key older versions use, in database 0
	got, err := legacyCtl.SetNX(ctx, key, token, 30*time.Minute).Result()
	if err != nil || !got {
		ps.Close()
		return nil, false, err
	}
	return func() {
		if v, _ := legacyCtl.Get(context.Background(), key).Result(); v == token {
			legacyCtl.Del(context.Background(), key)
		}
		ps.Close()
	}, true, nil
}

// PostgresURL creates an empty database for the test and returns its URL,
// dropping it when the test ends. Without SWITCHBOARD_TEST_DATABASE_URL the
// test is skipped (or fails, when services are required).
func PostgresURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(envDB)
	if raw == "" {
		if required() {
			t.Fatalf("%s=1 but %s is not set", envRequire, envDB)
		}
		t.Skipf("PostgreSQL tests need %s", envDB)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close(ctx)
	name := "switchboard_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), raw)
		if err != nil {
			t.Logf("postgres: drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("postgres: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", envDB, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
