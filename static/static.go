// Package static holds the built front-end assets (npm run build writes them from web/),
// embedded so that Go alone builds and serves the whole product.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// FS holds app.js, app.css, the notification sound, the icon and the fonts (with their licences).
//
//go:embed app.js app.css beep.wav favicon.svg fonts
var FS embed.FS

// Version changes whenever an asset does; pages add it to asset URLs (?v=) so a
// browser never mixes an old script with a new page, and assets may be cached long.
var Version = func() string {
	h := sha256.New()
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := FS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()
