package hub

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testServer serves connections of in-memory pipes (pipe_test.go) the way
// server/ws.go serves WebSockets: subscribe to the topics, send initial first.
type testServer struct {
	h       *Hub
	initial func(id string) []byte
}

// serve returns a server whose connections send "init:{id}" first (or initial's
// answer, when given); the hub is closed when the test ends.
func serve(t testing.TB, h *Hub, initial func(id string) []byte) *testServer {
	t.Helper()
	t.Cleanup(h.Close)
	return &testServer{h: h, initial: initial}
}

type client struct {
	p      *pipe
	frames chan string
	err    chan error // why the connection ended: errRestart or errAbnormal
}

// dial connects to topics (comma-separated); unless silent, a goroutine reads frames
// (answering pings) into frames.
func dial(t testing.TB, srv *testServer, id, topics string, silent bool) *client {
	t.Helper()
	init := func() []byte { return []byte("init:" + id) }
	if srv.initial != nil {
		init = func() []byte { return srv.initial(id) }
	}
	p := newPipe()
	go func() {
		srv.h.Serve(p, strings.Split(topics, ","), init)
		_ = p.Close() // as a server does when its handler returns
	}()
	t.Cleanup(p.hangUp)
	c := &client{p: p, frames: make(chan string, 1024), err: make(chan error, 1)}
	if !silent {
		go c.read()
	}
	return c
}

func (c *client) read() {
	for {
		b, err := c.p.receive()
		if err != nil {
			c.err <- err
			return
		}
		c.frames <- string(b)
	}
}

func (c *client) next(t *testing.T) string {
	t.Helper()
	select {
	case f := <-c.frames:
		return f
	case err := <-c.err:
		t.Fatalf("connection ended: %v", err)
	case <-time.After(2 * time.Second):
		t.Fatal("no frame within 2s")
	}
	return ""
}

func (c *client) expect(t *testing.T, want string) {
	t.Helper()
	if got := c.next(t); got != want {
		t.Fatalf("frame = %.60q, want %.60q", got, want)
	}
}

func (c *client) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case f := <-c.frames:
		t.Fatalf("unexpected frame %.60q", f)
	default:
	}
	select {
	case f := <-c.frames:
		t.Fatalf("unexpected frame %.60q", f)
	case <-time.After(d):
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func waitConns(t *testing.T, h *Hub, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d connections", n), func() bool { return h.Stats().Connections == n })
}

func TestTopicsRouteOnlyToSubscribers(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, nil)
	a := dial(t, srv, "a", "wallboard", false)
	b := dial(t, srv, "b", "agent:1", false)
	c := dial(t, srv, "c", "wallboard,agent:1", false)
	a.expect(t, "init:a")
	b.expect(t, "init:b")
	c.expect(t, "init:c")

	h.PublishNow("agent:1", fixed("pop"))
	h.PublishNow("agent:2", fixed("nobody"))
	h.PublishNow("wallboard", fixed("board"))
	a.expect(t, "board") // not "pop"
	b.expect(t, "pop")
	c.expect(t, "pop")
	c.expect(t, "board")
	b.none(t, 50*time.Millisecond)
	if s := h.Stats(); s.Connections != 3 || s.Frames != 3+4 {
		t.Fatalf("stats %+v, want 3 connections and 7 frames", s)
	}
	if h.HasSubscribers("agent:2") || !h.HasSubscribers("agent:1") {
		t.Fatal("HasSubscribers wrong")
	}
}

// A frame published while initial is being rendered is queued behind it, not lost.
func TestInitialFirstThenFramesPublishedMeanwhile(t *testing.T) {
	h := New(Options{})
	rendering, release := make(chan struct{}), make(chan struct{})
	srv := serve(t, h, func(id string) []byte {
		close(rendering)
		<-release
		return []byte("full page")
	})
	c := dial(t, srv, "x", "t", false)
	<-rendering
	h.PublishNow("t", fixed("during"))
	close(release)
	c.expect(t, "full page")
	c.expect(t, "during")
}

func TestCoalesce(t *testing.T) {
	const window = 200 * time.Millisecond
	h := New(Options{Coalesce: window})
	srv := serve(t, h, nil)
	var cs []*client
	for i := range 3 {
		c := dial(t, srv, fmt.Sprint(i), "wb", false)
		c.expect(t, fmt.Sprintf("init:%d", i))
		cs = append(cs, c)
	}

	// A key idle for a window goes out at once.
	start := time.Now()
	h.Publish("wb", "k", func() []byte { return []byte("v0") })
	for _, c := range cs {
		c.expect(t, "v0")
	}
	if d := time.Since(start); d > window/2 {
		t.Fatalf("leading frame took %v", d)
	}

	// A burst inside the window: one frame, the latest content, one render call.
	var calls atomic.Int32
	for i := 1; i <= 100; i++ {
		h.Publish("wb", "k", func() []byte {
			calls.Add(1)
			return fmt.Appendf(nil, "v%d", i)
		})
	}
	for _, c := range cs {
		c.expect(t, "v100")
	}
	if d := time.Since(start); d < window*3/4 {
		t.Fatalf("burst flushed after %v, before the window of %v", d, window)
	}
	time.Sleep(window + 50*time.Millisecond)
	for _, c := range cs {
		c.none(t, 0)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("render called %d times, want 1", n)
	}
	if s := h.Stats(); s.Renders != 2 {
		t.Fatalf("renders = %d, want 2", s.Renders)
	}
}

// Keys of one topic dirty at the same flush go out as one frame, in publish order.
func TestCoalesceJoinsKeysOfATopic(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, nil)
	wb := dial(t, srv, "wb", "wb", false)
	other := dial(t, srv, "o", "other", false)
	wb.expect(t, "init:wb")
	other.expect(t, "init:o")

	// Hold the flusher inside a render while the keys are published.
	inside, release := make(chan struct{}), make(chan struct{})
	h.Publish("other", "k", func() []byte { close(inside); <-release; return []byte("o") })
	<-inside
	h.Publish("wb", "b", func() []byte { return []byte("<b/>") })
	h.Publish("wb", "a", func() []byte { return []byte("<a/>") })
	h.Publish("nobody", "k", func() []byte { t.Error("rendered a topic without subscribers"); return nil })
	close(release)
	other.expect(t, "o")
	wb.expect(t, "<b/><a/>")
}

// A burst of different keys on one topic costs one frame per window, not one per key.
func TestTopicFlushesOncePerWindow(t *testing.T) {
	h := New(Options{Coalesce: 200 * time.Millisecond})
	srv := serve(t, h, nil)
	wb := dial(t, srv, "wb", "wb", false)
	wb.expect(t, "init:wb")
	h.Publish("wb", "call:1", func() []byte { return []byte("<c1/>") })
	wb.expect(t, "<c1/>") // an idle topic goes out at once
	start := time.Now()
	h.Publish("wb", "call:2", func() []byte { return []byte("<c2/>") })
	h.Publish("wb", "agent:7", func() []byte { return []byte("<a7/>") })
	h.Publish("wb", "call:2", func() []byte { return []byte("<c2b/>") })
	wb.expect(t, "<c2b/><a7/>")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("the second frame came %v after the first, inside the window", d)
	}
}

func TestPublishNowSkipsTheWindow(t *testing.T) {
	h := New(Options{Coalesce: 300 * time.Millisecond})
	srv := serve(t, h, nil)
	c := dial(t, srv, "c", "agent:7", false)
	c.expect(t, "init:c")
	h.Publish("agent:7", "state", func() []byte { return []byte("s1") })
	c.expect(t, "s1")
	h.Publish("agent:7", "state", func() []byte { return []byte("s2") }) // waits for the window
	start := time.Now()
	h.PublishNow("agent:7", fixed("pop"))
	c.expect(t, "pop")
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("PublishNow took %v", d)
	}
	c.expect(t, "s2")
}

func TestSlowClientIsDroppedFastOneKeepsUp(t *testing.T) {
	h := New(Options{QueueSize: 2})
	srv := serve(t, h, nil)
	slow := dial(t, srv, "slow", "wb", true) // never reads
	fast := dial(t, srv, "fast", "wb", false)
	fast.expect(t, "init:fast")
	waitConns(t, h, 2)
	if ts := h.TopicStats()["wb"]; ts.Subscribers != 2 || ts.Dropped != 0 {
		t.Fatalf("topic stats before: %+v", ts)
	}

	// Lock-step with the fast client, so only the slow one can fall behind.
	big := strings.Repeat("x", 64<<10)
	for i := 0; h.Stats().Drops == 0; i++ {
		if i == 2000 {
			t.Fatal("slow client never dropped")
		}
		f := fmt.Sprintf("%d%s", i, big)
		h.PublishNow("wb", fixed(f))
		fast.expect(t, f)
	}
	waitConns(t, h, 1)
	h.PublishNow("wb", fixed("after"))
	fast.expect(t, "after")

	// The slow client finds its connection closed without a goodbye: htmx reconnects on 1006.
	go slow.read()
	for {
		select {
		case <-slow.frames:
			continue
		case err := <-slow.err:
			if !errors.Is(err, errAbnormal) {
				t.Fatalf("slow client ended with %v, want abnormal closure", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("slow client not closed")
		}
		break
	}
	if s := h.Stats(); s.Drops != 1 || s.Timeouts != 0 {
		t.Fatalf("stats %+v", s)
	}
	if ts := h.TopicStats()["wb"]; ts.Subscribers != 1 || ts.Dropped < 1 {
		t.Fatalf("topic stats after the drop: %+v, want the fast subscriber and the dropped frame", ts)
	}
}

func TestDeadPeerFoundByPing(t *testing.T) {
	// A period long enough that the live reader answers in time on a loaded
	// machine; the dead peer is dropped after two periods of silence.
	h := New(Options{PingEvery: 400 * time.Millisecond})
	srv := serve(t, h, nil)
	alive := dial(t, srv, "alive", "wb", false) // its reader answers pings
	dial(t, srv, "dead", "wb", true)
	alive.expect(t, "init:alive")
	waitConns(t, h, 2)
	for deadline := time.Now().Add(5 * time.Second); h.Stats().Timeouts == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(900 * time.Millisecond) // two more pings: the live peer must survive them
	if s := h.Stats(); s.Connections != 1 || s.Timeouts != 1 {
		t.Fatalf("stats %+v, want the dead peer gone and the live one kept", s)
	}
	h.PublishNow("wb", fixed("still here"))
	alive.expect(t, "still here")
}

func TestCloseEndsAllConnections(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, nil)
	var cs []*client
	for i := range 5 {
		c := dial(t, srv, fmt.Sprint(i), "wb", false)
		c.expect(t, fmt.Sprintf("init:%d", i))
		cs = append(cs, c)
	}
	h.Publish("wb", "k", func() []byte { return []byte("v") })
	for _, c := range cs {
		c.expect(t, "v")
	}
	h.Publish("wb", "k", func() []byte { return []byte("never") }) // pending in its window
	h.Close()
	if n := h.Stats().Connections; n != 0 {
		t.Fatalf("%d connections after Close", n)
	}
	for _, c := range cs {
		select {
		case err := <-c.err:
			if !errors.Is(err, errRestart) {
				t.Fatalf("client ended with %v, want close 1012", err)
			}
		case f := <-c.frames:
			t.Fatalf("frame %q after Close", f)
		case <-time.After(2 * time.Second):
			t.Fatal("client not closed")
		}
	}
	late := dial(t, srv, "late", "wb", false)
	if err := <-late.err; !errors.Is(err, errRestart) {
		t.Fatalf("dial after Close: %v", err)
	}
	h.Publish("wb", "k", func() []byte { return nil })
	h.PublishNow("wb", fixed("x"))
	h.Close()
}

func TestRenderPanicDoesNotStopFlushing(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, nil)
	c := dial(t, srv, "c", "wb", false)
	c.expect(t, "init:c")
	h.Publish("wb", "bad", func() []byte { panic("boom") })
	h.Publish("wb", "good", func() []byte { return []byte("ok") })
	c.expect(t, "ok")
}

func TestInitialPanicEndsOnlyThatConnection(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, func(id string) []byte {
		if id == "bad" {
			panic("boom")
		}
		return []byte("init:" + id)
	})
	bad := dial(t, srv, "bad", "wb", false)
	good := dial(t, srv, "good", "wb", false)
	good.expect(t, "init:good")
	select {
	case err := <-bad.err:
		if !errors.Is(err, errAbnormal) {
			t.Fatalf("bad ended with %v", err)
		}
	case f := <-bad.frames:
		t.Fatalf("bad got %q", f)
	case <-time.After(2 * time.Second):
		t.Fatal("bad not closed")
	}
	waitConns(t, h, 1)
	h.PublishNow("wb", fixed("x"))
	good.expect(t, "x")
}

func TestTopicKind(t *testing.T) {
	for topic, want := range map[string]string{"wallboard": "wallboard", "agent:petr": "agent", "call:pbx1:1.2": "call", "": ""} {
		if got := TopicKind(topic); got != want {
			t.Errorf("TopicKind(%q) = %q, want %q", topic, got, want)
		}
	}
}

// fixed is a render that always returns b.
func fixed[T string | []byte](b T) func() []byte { return func() []byte { return []byte(b) } }

// A screen-pop's render runs on the hub, not on the publisher (the board's goroutine):
// PublishNow returns while the render is still blocked.
func TestPublishNowRendersOffThePublisher(t *testing.T) {
	h := New(Options{})
	srv := serve(t, h, nil)
	c := dial(t, srv, "c", "agent:7", false)
	c.expect(t, "init:c")
	release := make(chan struct{})
	returned := make(chan struct{})
	go func() {
		h.PublishNow("agent:7", func() []byte { <-release; return []byte("pop") })
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("PublishNow waited for its render")
	}
	close(release)
	c.expect(t, "pop")
}

// A screen-pop published while the flusher renders a batch of coalesced fragments is
// sent after the render in progress, not after the whole batch.
func TestPublishNowGoesBetweenRenders(t *testing.T) {
	h := New(Options{Coalesce: 50 * time.Millisecond})
	srv := serve(t, h, nil)
	wall := dial(t, srv, "w", "wb", false)
	wall.expect(t, "init:w")
	agent := dial(t, srv, "a", "agent:7", false)
	agent.expect(t, "init:a")
	h.Publish("wb", "warm", fixed("first")) // opens the window: what follows waits in it
	wall.expect(t, "first")

	inFirst, releaseFirst, releaseSecond := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(releaseSecond) }) }) // before the hub's Close
	h.Publish("wb", "a", func() []byte { close(inFirst); <-releaseFirst; return []byte("[a]") })
	h.Publish("wb", "b", func() []byte { <-releaseSecond; return []byte("[b]") })
	<-inFirst // the window ended: the flusher renders a, then b
	h.PublishNow("agent:7", fixed("pop"))
	close(releaseFirst)
	agent.expect(t, "pop") // while the second render is still blocked
	release.Do(func() { close(releaseSecond) })
	wall.expect(t, "[a][b]")
}
