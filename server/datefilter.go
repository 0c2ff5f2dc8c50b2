package server

import (
	"time"

	"ringside/store"
)

// badDateRange is the answer to a date filter the store cannot represent: its times
// are nanoseconds since 1970 in 64 bits, which reach from 1677-09-21 to 2262-04-11. A
// filter outside would silently match nothing (or everything), so it is refused.
const badDateRange = "dates must be between 1678 and 2262"

// datesInRange says whether the query's date filters are representable.
func datesInRange(q store.Query) bool {
	for _, t := range []time.Time{q.From, q.To} {
		if !t.IsZero() && !time.Unix(0, t.UnixNano()).Equal(t) {
			return false
		}
	}
	return true
}
