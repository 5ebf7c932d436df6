# Developer shortcuts; CI runs .ci/run.
.PHONY: test mutation

test:
	go test ./...

# Mutation testing with gremlins v0.6.0 (docs/testing.md). PKGS limits the
# run, e.g. make mutation PKGS="internal/phone jobs"; it rewrites the results
# table in docs/testing.md. Set SWITCHBOARD_TEST_REDIS_URL and
# SWITCHBOARD_TEST_DATABASE_URL to run the tests against the real services.
mutation:
	nice -n 10 scripts/mutation/run $(PKGS)
