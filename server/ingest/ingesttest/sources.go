package ingesttest

import "ringside/server/ingest"

// Sources are the webhook sources the fixtures are addressed to (/hooks/{name}), by
// name, as each vendor registered them (ingest.Vendor.Fixtures). The server's
// HTTP-level tests configure the same ones.
func Sources() map[string]ingest.Source {
	out := map[string]ingest.Source{}
	for _, v := range ingest.Registered() {
		for _, s := range v.FixtureSources() {
			out[s.Name] = s
		}
	}
	return out
}
