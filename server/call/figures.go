package call

// Report figures: what the reports API, the reports page and their CSV show for a
// period. The report package computes them from its buckets; they live here, beside
// the rest of the shared model, so the pages read them without depending on how
// they are computed.

// Grouping of a report's rows.
const (
	GroupTotal = "total"
	GroupHour  = "hour"
	GroupDay   = "day"
)

// QueueRow is one queue's figures for a period (or the whole range: Period empty).
type QueueRow struct {
	Queue           string  `json:"queue"`
	Name            string  `json:"name"`
	Period          string  `json:"period,omitempty"`
	Offered         int64   `json:"offered"`
	Answered        int64   `json:"answered"`
	Abandoned       int64   `json:"abandoned"`
	ShortAbandoned  int64   `json:"-"` // shown on the page; the API's row keeps its documented shape
	Callbacks       int64   `json:"-"` // callers someone started calling back (page and CSV)
	ServiceLevelPct float64 `json:"service_level_pct"`
	ASAS            float64 `json:"asa_s"`
	AHTS            float64 `json:"aht_s"`
	LongestWaitS    float64 `json:"longest_wait_s"`
}

// AgentRow is one agent's figures for a period.
type AgentRow struct {
	Agent        string             `json:"agent"`
	Name         string             `json:"name"`
	Period       string             `json:"period,omitempty"`
	Offered      int64              `json:"offered"`
	Answered     int64              `json:"answered"`
	NotAnswered  int64              `json:"not_answered"`
	Outbound     int64              `json:"outbound"`
	TalkS        float64            `json:"talk_s"`
	AHTS         float64            `json:"aht_s"`
	LoggedInS    float64            `json:"logged_in_s"`
	AvailableS   float64            `json:"available_s"`
	PausedS      map[string]float64 `json:"paused_s"`
	OccupancyPct float64            `json:"occupancy_pct"`
}

// Distribution is when calls came and how long they waited and talked.
type Distribution struct {
	Heat      [7][24]int64    // offered calls by local weekday (Sunday first) and hour
	Wait      [DistBins]int64 // calls by wait-time bin (WaitBins)
	Talk      [DistBins]int64 // answered calls by talk-time bin (TalkBins)
	MaxHeat   int64
	CallCount int64
}

// DistBins is the number of bins of each distribution: one per bound and one above.
const DistBins = 7

// WaitBins and TalkBins are the upper bounds (seconds, exclusive) of the distribution
// bins; one more bin holds everything above the last.
var (
	WaitBins = [DistBins - 1]float64{10, 20, 30, 60, 120, 300}
	TalkBins = [DistBins - 1]float64{30, 60, 120, 300, 600, 1200}
)
