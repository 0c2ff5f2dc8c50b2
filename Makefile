# Ringside. `make test` is the one test command (README, CI).
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzSimotel FuzzVoipex FuzzCloudCDR FuzzSipSim

.PHONY: run test unit fuzz check generate screenshots vulncheck

run:
	go run ./cmd/ringside

test: check unit fuzz

unit:
	go vet ./...
	go test -count=1 -timeout 18m ./...

# a brief coverage-guided fuzz of every decoder: no input may panic, and whatever a
# decoder accepts a real store appends (minimizing a find is capped: the brief run is for finding)
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t ($(FUZZTIME))"; \
		go test ./server/ingest -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s >/tmp/ringside-fuzz.log 2>&1 || { cat /tmp/ringside-fuzz.log; exit 1; }; \
	done

# generated code and built assets must match their sources
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go tool templ generate >/dev/null 2>&1
	@git diff --quiet -- '*_templ.go' || { echo "views/*_templ.go are stale: run 'go tool templ generate' and commit"; git diff --stat -- '*_templ.go'; exit 1; }
	@if [ -d node_modules ]; then npm run --silent build && { git diff --quiet -- static/ || { echo "static/ is stale: run 'npm run build' and commit"; git diff --stat -- static/; exit 1; }; }; \
	else echo "node_modules missing: run 'npm ci' to check static/ against web/"; fi

# regenerate what check compares
generate:
	go tool templ generate
	npm run build

# the pages as the browser tests see them (needs Chromium), for the README and reviews
screenshots:
	go test -count=1 -run '^(TestBrowser|TestBrowserLanguages|TestReportsPageInBrowser|TestTVWallboardPagesThroughEveryone|TestTVCallbacksInFourLanguages|TestAgentPageOverAShift|TestContrastInBrowser|TestPhoneLayoutInBrowser)$$' ./server/ -screenshots $(CURDIR)/web/screenshots

# known vulnerabilities in what the code calls; reads vuln.go.dev, or an offline
# copy: make vulncheck VULNDB=file:///tmp/vulndb (README, "Dependencies")
vulncheck:
	go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 $(if $(VULNDB),-db $(VULNDB)) ./...
