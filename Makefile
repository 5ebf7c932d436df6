# Commands anyone can rerun. `go test ./...` stays the test command and
# needs no services (see README); the targets below only wrap go.
#
#   make test                 the README's test command
#   make fuzz                 every fuzz target for FUZZTIME each (default 30s)
#   make fuzz FUZZTIME=10s    shorter, as .ci/run does

GO       ?= go
FUZZTIME ?= 30s

.PHONY: test fuzz fuzz-list

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
