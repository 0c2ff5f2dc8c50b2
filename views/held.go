package views

import (
	"context"

	"ringside/views/i18n"
)

// Why Ringside cannot play a recording or a voicemail: catalog keys. The API carries
// the reason in English (call.Recording.Held, call.Voicemail.Held); pages show it in
// the person's language.
const (
	HeldNoAPI  = "held_no_api"  // a Simotel file on a source without [sources.api]
	HeldNoLink = "held_no_link" // a vendor id without a link to fetch it
	HeldNoFile = "held_no_file" // a voicemail the PBX sent no recording of
)

var heldKeys = []string{HeldNoAPI, HeldNoLink, HeldNoFile}

// HeldEnglish is a held reason as the API carries it.
func HeldEnglish(key, source string) string {
	return i18n.New("en", nil).T(key, "Source", source)
}

// heldText is a held reason (as HeldEnglish wrote it) in the person's language.
func heldText(ctx context.Context, source, held string) string {
	for _, k := range heldKeys {
		if HeldEnglish(k, source) == held {
			return t(ctx, k, "Source", source)
		}
	}
	return held
}
