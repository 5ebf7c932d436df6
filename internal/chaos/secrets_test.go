package chaos_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// leakForms are the forms a credential could leak in: as is, base64
// (standard and URL alphabets, with and without padding), and as the
// base64 of an HTTP Basic "id:secret" pair.
func leakForms() map[string]string {
	forms := map[string]string{}
	add := func(name, v string) {
		forms[v] = name
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			forms[enc.EncodeToString([]byte(v))] = name + " (base64)"
		}
	}
	add("Twilio auth token", twiliotest.SandboxAuthToken)
	add("Twilio Basic credentials", twiliotest.SandboxAccountSID+":"+twiliotest.SandboxAuthToken)
	add("Plivo auth token", plivotest.SandboxAuthToken)
	add("Plivo Basic credentials", plivotest.SandboxAuthID+":"+plivotest.SandboxAuthToken)
	add("Telnyx API key", telnyxtest.SandboxAPIKey)
	return forms
}

// scanSecrets looks for the credentials the run used in every Redis key
// and value, every row of every table, every process log and every API
// answer; a hit fails the test.
func scanSecrets(t *testing.T, s *system, db *pgxpool.Pool) {
	t.Helper()
	forms := leakForms()
	hits := 0
	check := func(where, text string) {
		for form, name := range forms {
			if strings.Contains(text, form) {
				if hits++; hits <= 20 {
					t.Errorf("%s contains the %s", where, name)
				}
			}
		}
	}
	// Redis: every key of every type.
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.redis.port)})
	defer rdb.Close()
	keys := 0
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		keys++
		check("Redis key "+k, k)
		var v any
		var err error
		switch rdb.Type(ctx, k).Val() {
		case "string":
			v, err = rdb.Get(ctx, k).Result()
		case "hash":
			v, err = rdb.HGetAll(ctx, k).Result()
		case "list":
			v, err = rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = rdb.SMembers(ctx, k).Result()
		case "zset":
			v, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = rdb.XRange(ctx, k, "-", "+").Result()
		}
		if err != nil {
			t.Errorf("Redis %s: %v", k, err)
		}
		check("Redis value of "+k, fmt.Sprint(v))
	}
	if err := iter.Err(); err != nil {
		t.Error(err)
	}
	// PostgreSQL: every row of every table, as text.
	var tables []string
	rows, err := db.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	rowsN := 0
	for _, table := range tables {
		rows, err := db.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s t`, pgx.Identifier{table}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			rows.Scan(&row)
			rowsN++
			check("table "+table, row)
		}
		rows.Close()
	}
	for _, p := range s.procs() {
		check(p.name+"'s log", p.output())
	}
	s.mu.Lock()
	check("an API answer", s.responses.String())
	s.mu.Unlock()
	t.Logf("secret scan: %d Redis keys, %d rows in %d tables, %d logs, %d bytes of API answers", keys, rowsN, len(tables), len(s.procs()), s.responses.Len())
}
