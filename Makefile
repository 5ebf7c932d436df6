# Commands anyone can rerun. `go test ./...` stays the test command and
# needs no services (see README); the targets below only wrap go.
#
#   make test                 the README's test command
#   make fuzz                 every fuzz target for FUZZTIME each (default 30s)
#   make fuzz FUZZTIME=3000x  3000 executions each, as .ci/run does (a count
#                             dodges Go 1.26's fuzztime race, go.dev/issue/75804)
#   make chaos                the chaos and race tests at full size (10,000 numbers)
#   make bench                the benchmarks behind docs/benchmarks.md
#   make mutation             mutation testing (docs/testing.md)
#
# chaos and bench need the real services: they default to the local Redis
# and PostgreSQL that .ci/run starts; set the variables to use others.

GO       ?= go
FUZZTIME ?= 30s
CHAOS_NUMBERS ?= 10000
SWITCHBOARD_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
SWITCHBOARD_TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable
SERVICES = SWITCHBOARD_TEST_REDIS_URL='$(SWITCHBOARD_TEST_REDIS_URL)' \
	SWITCHBOARD_TEST_DATABASE_URL='$(SWITCHBOARD_TEST_DATABASE_URL)' SWITCHBOARD_TEST_REQUIRE_SERVICES=1

.PHONY: test fuzz fuzz-list chaos bench mutation

test:
	$(GO) test ./...

# Every `func Fuzz…` in the module, one `go test -fuzz` run each (go runs
# one fuzz target at a time); its seed corpus is in testdata/fuzz/<name>.
fuzz:
	@set -e; $(MAKE) -s fuzz-list | while read -r pkg name; do \
		echo "==> $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test "$$pkg" -run '^$$' -fuzz "^$$name\$$" -fuzztime "$(FUZZTIME)"; \
	done

# The package and name of every fuzz target, one a line.
fuzz-list:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		for n in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
			echo "./$$(dirname "$${f#./}") $$n"; \
		done; \
	done | sort -u

# The chaos test (internal/chaos) at full size, and the races, with the
# race detector in the test and in the api and worker processes it runs.
chaos:
	$(SERVICES) $(GO) test -race -count=1 -v -timeout 90m -run 'TestChaos|TestRaces' ./internal/chaos -args -chaos.numbers=$(CHAOS_NUMBERS)

# Every benchmark; each reports its ratio against a baseline measured in
# the same run (docs/benchmarks.md says what each one measures). The
# whole-system ones (internal/chaos: real worker processes, minutes a run)
# and the import ones run once each; RATELIMIT_NUMBERS=500 makes the
# rate-limit one a 40-second smoke run.
RATELIMIT_NUMBERS ?= 5000
bench:
	$(SERVICES) $(GO) test -run '^$$' -bench . -skip UnderImport -benchtime 3x -count 3 -timeout 60m \
		$$($(GO) list ./... | grep -v -e /internal/chaos -e /internal/batch)
	$(SERVICES) $(GO) test -run '^$$' -bench 'Import100k' -benchtime 1x -timeout 30m ./internal/batch
	$(SERVICES) $(GO) test -run '^$$' -bench 'UnderImport' -benchtime 1x -count 3 -timeout 30m ./internal/api
	$(SERVICES) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./internal/chaos \
		-args -ratelimit.numbers=$(RATELIMIT_NUMBERS)

# Mutation testing with gremlins v0.6.0 (docs/testing.md). PKGS limits the
# run, e.g. make mutation PKGS="internal/phone jobs"; it rewrites the results
# table in docs/testing.md. Set SWITCHBOARD_TEST_REDIS_URL and
# SWITCHBOARD_TEST_DATABASE_URL to run the tests against the real services.
mutation:
	nice -n 10 scripts/mutation/run $(PKGS)
