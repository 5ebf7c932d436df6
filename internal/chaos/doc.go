// Package chaos holds switchboard's end-to-end reliability tests: the real
// binary, as separate api and worker processes, against real PostgreSQL and
// a Redis server of the test's own (so it can be restarted), with the
// providers' simulators injecting outages, timeouts, rate limits, latency
// spikes and writes that land but answer 500. Workers are killed with
// SIGKILL mid-run, PostgreSQL connections are cut and Redis is restarted;
// at the end every job must be in its right final state, every number
// configured at its provider exactly as the database says, with nothing
// duplicated, nothing lost and no credential anywhere it should not be.
//
// The package has only tests. They need a redis-server binary and
// SWITCHBOARD_TEST_DATABASE_URL, and skip without them (fail, with
// SWITCHBOARD_TEST_REQUIRE_SERVICES=1, as in CI). `make chaos` runs the long
// variant (-chaos.numbers=10000).
package chaos
