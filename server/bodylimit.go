package server

import (
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Request bodies are streamed (fiber's StreamRequestBody): fasthttp reads at most
// 8 KiB of a body before a handler runs, whatever Content-Length announces, so an
// anonymous client cannot make the server allocate a body it never sends. The rest
// is read here, only by a route that wants it, growing with the bytes that really
// arrive, and never past the route's limit.
const (
	// formBody is the limit for everything but webhooks: login and page forms, the
	// JSON API's small requests.
	formBody = 8 << 10
	// maxHeader bounds a request's line and headers: fasthttp holds them in one read
	// buffer per connection, allocated before the route is known. A GET webhook carries
	// its fields in the URL, so this is well above any vendor's query string, yet 300
	// slow connections hold at most 20 MiB of buffers.
	maxHeader = 64 << 10
)

var errBodyTooLarge = errors.New("request body over the route's limit")

// readBody reads the request body into memory, at most limit bytes. Over the limit it
// returns the body's head (keptOfOversized at most) and errBodyTooLarge, and the
// connection is closed after the answer.
func readBody(c *fiber.Ctx, limit int) ([]byte, error) {
	req := c.Request()
	stream := req.BodyStream()
	if stream == nil { // not streamed (an in-memory test request): already bounded by BodyLimit
		b := req.Body()
		if len(b) > limit {
			c.Context().SetConnectionClose()
			return b[:limit], errBodyTooLarge
		}
		return b, nil
	}
	c.Locals(bodyReadKey, true)
	if n := req.Header.ContentLength(); n > limit {
		head, _ := io.ReadAll(io.LimitReader(stream, int64(min(limit, keptOfOversized))))
		return head, tooLarge(c, stream)
	}
	b, err := readAll(io.LimitReader(stream, int64(limit)+1), req.Header.ContentLength())
	if err != nil {
		c.Context().SetConnectionClose()
		return nil, err
	}
	if len(b) > limit {
		return b[:min(limit, keptOfOversized)], tooLarge(c, stream)
	}
	req.SetBodyRaw(b) // later c.Body() and FormValue read these bytes, not the stream
	return b, nil
}

const bodyReadKey = "body-read"

// readAll is io.ReadAll starting with room for the size the request announced (-1 when
// it did not), so a webhook's body is read into one allocation, not grown into several.
func readAll(r io.Reader, announced int) ([]byte, error) {
	b := make([]byte, 0, max(announced, 512-1)+1) // +1: the read that meets EOF
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as append does
		}
	}
}

// drainOversized is how much of an oversized body is read and dropped (costing no
// memory) so that a client still sending it gets the 413 rather than a reset.
const drainOversized = 4 * MaxBody

// tooLarge drops up to drainOversized more of a body and closes the connection after
// the answer.
func tooLarge(c *fiber.Ctx, stream io.Reader) error {
	c.Context().SetConnectionClose()
	io.Copy(io.Discard, io.LimitReader(stream, drainOversized))
	return errBodyTooLarge
}

// boundBodies reads every body but a webhook's up front, within formBody, and refuses
// encoded bodies (a small gzip body can inflate a thousandfold in fiber's c.Body()).
// A webhook's handler reads its own body once the source is known; if it never does,
// the connection is closed after the answer so unread bytes are never taken for the
// next request.
func boundBodies(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/hooks/") {
		err := c.Next()
		if n := c.Request().Header.ContentLength(); c.Locals(bodyReadKey) == nil && (n > 0 || n == -1) {
			c.Context().SetConnectionClose()
		}
		return err
	}
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		c.Context().SetConnectionClose()
		return apiError(c, fiber.StatusUnsupportedMediaType, "Content-Encoding is not accepted")
	}
	if _, err := readBody(c, formBody); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return apiError(c, fiber.StatusRequestEntityTooLarge, "body larger than 8 KiB")
		}
		return apiError(c, fiber.StatusRequestTimeout, "body not received in time")
	}
	return c.Next()
}
