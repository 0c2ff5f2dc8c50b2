package server

import (
	"net"
	"strings"
	"testing"
	"time"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"ringside/server/hub"
)

// wsHub serves h's topic "wb" over real WebSockets on loopback through wsTransport
// and returns a dialer; each connection gets "init:{id}" first.
func wsHub(t *testing.T, h *hub.Hub) func(id string) *fastws.Conn {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ws", websocket.New(func(c *websocket.Conn) {
		id := c.Query("id")
		h.Serve(newWSTransport(c), []string{"wb"}, func() []byte { return []byte("init:" + id) })
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { h.Close(); _ = app.ShutdownWithTimeout(time.Second) })
	return func(id string) *fastws.Conn {
		ws, _, err := fastws.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws?id="+id, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, b, err := ws.ReadMessage(); err != nil || string(b) != "init:"+id {
			t.Fatalf("initial frame %q, %v", b, err)
		}
		return ws
	}
}

func waitHub(t *testing.T, h *hub.Hub, what string, ok func(hub.Stats) bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !ok(h.Stats()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s: %+v", what, h.Stats())
		}
	}
}

// A peer that stops reading is dropped without a close frame (1006, which htmx-ext-ws
// answers by reconnecting) while one that reads keeps up; a shutdown says 1012.
func TestWSTransportDropsSlowPeerAndSaysRestart(t *testing.T) {
	h := hub.New(hub.Options{QueueSize: 2})
	dial := wsHub(t, h)
	fast, slow := dial("fast"), dial("slow")
	waitHub(t, h, "2 connections", func(s hub.Stats) bool { return s.Connections == 2 })
	big := strings.Repeat("x", 64<<10)
	for i := 0; h.Stats().Drops == 0; i++ {
		if i == 2000 {
			t.Fatal("a peer that never reads was never dropped")
		}
		f := string(rune('a'+i%26)) + big
		h.PublishNow("wb", func() []byte { return []byte(f) })
		_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, b, err := fast.ReadMessage(); err != nil || string(b) != f {
			t.Fatalf("fast peer read %.20q, %v", b, err)
		}
	}
	for {
		_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := slow.ReadMessage(); err != nil {
			if !fastws.IsCloseError(err, fastws.CloseAbnormalClosure) {
				t.Fatalf("the dropped peer ended with %v, want an abnormal closure", err)
			}
			break
		}
	}
	go h.Close()
	for {
		_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := fast.ReadMessage(); err != nil {
			if !fastws.IsCloseError(err, fastws.CloseServiceRestart) {
				t.Fatalf("shutdown closed with %v, want 1012", err)
			}
			break
		}
	}
}

// A peer that answers no ping is found and dropped; one that reads (and so answers
// pings) stays.
func TestWSTransportFindsDeadPeerByPing(t *testing.T) {
	h := hub.New(hub.Options{PingEvery: 400 * time.Millisecond})
	dial := wsHub(t, h)
	alive := dial("alive")
	dial("dead")
	frames := make(chan string, 16)
	go func() {
		_ = alive.SetReadDeadline(time.Time{})
		for {
			_, b, err := alive.ReadMessage()
			if err != nil {
				return
			}
			frames <- string(b)
		}
	}()
	waitHub(t, h, "the dead peer timed out", func(s hub.Stats) bool { return s.Timeouts == 1 })
	time.Sleep(900 * time.Millisecond) // two more pings: the live peer must survive them
	if s := h.Stats(); s.Connections != 1 || s.Timeouts != 1 {
		t.Fatalf("stats %+v, want the dead peer gone and the live one kept", s)
	}
	h.PublishNow("wb", func() []byte { return []byte("still here") })
	select {
	case f := <-frames:
		if f != "still here" {
			t.Fatalf("frame %q", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the live peer got nothing")
	}
}
