package call

import (
	"encoding/json"
	"time"
)

// msTime marshals as the API's JSON times: RFC 3339, UTC, always three fraction digits.
type msTime time.Time

func (t msTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

func ms(t *time.Time) *msTime {
	if t == nil || t.IsZero() {
		return nil
	}
	v := msTime(*t)
	return &v
}

// The MarshalJSON methods below shadow the embedded alias's time fields (a shallower
// field with the same JSON name wins), so only the time format changes. Unmarshalling
// uses the default decoder, which reads these times back.

func (c Call) MarshalJSON() ([]byte, error) {
	type alias Call
	return json.Marshal(struct {
		alias
		StartedAt  *msTime `json:"started_at,omitempty"`
		AnsweredAt *msTime `json:"answered_at,omitempty"`
		EndedAt    *msTime `json:"ended_at,omitempty"`
	}{alias(c), ms(c.StartedAt), ms(c.AnsweredAt), ms(c.EndedAt)})
}

func (l Leg) MarshalJSON() ([]byte, error) {
	type alias Leg
	return json.Marshal(struct {
		alias
		StartedAt *msTime `json:"started_at,omitempty"`
		EndedAt   *msTime `json:"ended_at,omitempty"`
	}{alias(l), ms(l.StartedAt), ms(l.EndedAt)})
}

func (t Transfer) MarshalJSON() ([]byte, error) {
	type alias Transfer
	return json.Marshal(struct {
		alias
		At *msTime `json:"at,omitempty"` // unknown when only a post-call record told it
	}{alias(t), ms(&t.At)})
}

func (a Agent) MarshalJSON() ([]byte, error) {
	type alias Agent
	return json.Marshal(struct {
		alias
		StateSince *msTime `json:"state_since,omitempty"`
	}{alias(a), ms(a.StateSince)})
}
