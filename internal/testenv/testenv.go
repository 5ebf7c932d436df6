// Package testenv gives tests their own Redis database and PostgreSQL
// database. With SWITCHBOARD_TEST_REDIS_URL / SWITCHBOARD_TEST_DATABASE_URL
// set they use the real services, isolated per test because the services
// are shared between runs; without them Redis falls back to miniredis and
// PostgreSQL-only tests skip. SWITCHBOARD_TEST_REQUIRE_SERVICES=1 (set by
// CI) turns a missing service into a failure instead.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
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
// (a database index leased for the test and flushed around it), otherwise
// an in-process miniredis.
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
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("%s: %v", envRedis, err)
	}
	opt.DB = leaseRedisDB(t, *opt)
	return opt
}

// RedisURL is Redis as a URL, for code configured by URL.
func RedisURL(t testing.TB) string {
	t.Helper()
	o := Redis(t)
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

// leaseRedisDB claims one of the databases 1..15 with a lease key in
// database 0, so concurrent test processes (and CI beside a developer)
// never share one. The lease expires on its own if a test process dies.
func leaseRedisDB(t testing.TB, opt redis.Options) int {
	t.Helper()
	ctx := context.Background()
	opt.DB = 0
	ctl := redis.NewClient(&opt)
	t.Cleanup(func() { ctl.Close() })
	token := randomHex(8)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for db := 1; db <= 15; db++ {
			key := fmt.Sprintf("switchboard:test:lease:%d", db)
			ok, err := ctl.SetNX(ctx, key, token, 30*time.Minute).Result()
			if err != nil {
				t.Fatalf("redis at %s: %v", opt.Addr, err)
			}
			if !ok {
				continue
			}
			o := opt
			o.DB = db
			c := redis.NewClient(&o)
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("redis flush db %d: %v", db, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				if v, _ := ctl.Get(context.Background(), key).Result(); v == token {
					ctl.Del(context.Background(), key)
				}
			})
			return db
		}
		if time.Now().After(deadline) {
			t.Fatal("no free Redis test database (1-15) after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
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
