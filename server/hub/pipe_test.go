package hub

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// pipe is an in-memory Transport with a peer at the other end, following the
// contract a WebSocket keeps: a peer that does not read holds Write until its
// deadline; a peer that reads answers pings; Close ends both sides at once; Goodbye
// comes before Close.
type pipe struct {
	out       chan []byte   // to the peer, unbuffered
	pings     chan struct{} // to the peer, answered when it reads
	pongs     chan struct{} // from the peer
	closed    chan struct{} // Close
	closeOnce sync.Once
	gone      chan struct{} // the peer hung up
	goneOnce  sync.Once
	goodbye   atomic.Bool
}

var (
	errRestart  = errors.New("closed with 1012 (service restart)")
	errAbnormal = errors.New("closed without a close frame (1006)")
	errClosed   = errors.New("use of closed connection")
	errHungUp   = errors.New("peer hung up")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

func newPipe() *pipe {
	return &pipe{out: make(chan []byte), pings: make(chan struct{}, 1), pongs: make(chan struct{}, 1),
		closed: make(chan struct{}), gone: make(chan struct{})}
}

func (p *pipe) Write(m *Message, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case p.out <- m.Data:
		return nil
	case <-p.closed:
		return errClosed
	case <-p.gone:
		return errHungUp
	case <-t.C:
		return timeoutError{}
	}
}

func (p *pipe) Ping(time.Time) error {
	select {
	case <-p.closed:
		return errClosed
	case p.pings <- struct{}{}:
	default: // one unanswered ping is enough
	}
	return nil
}

func (p *pipe) Receive(idle time.Duration) error {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-p.pongs:
			t.Reset(idle)
		case <-p.gone:
			return errHungUp
		case <-p.closed:
			return errClosed
		case <-t.C:
			return timeoutError{}
		}
	}
}

func (p *pipe) Goodbye(time.Time) error {
	select {
	case <-p.closed:
		return errClosed
	default:
		p.goodbye.Store(true)
		return nil
	}
}

func (p *pipe) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// receive is the peer reading: the next frame, answering pings meanwhile, or why the
// connection ended.
func (p *pipe) receive() ([]byte, error) {
	for {
		select {
		case b := <-p.out:
			return b, nil
		case <-p.pings:
			select {
			case p.pongs <- struct{}{}:
			default:
			}
		case <-p.closed:
			if p.goodbye.Load() {
				return nil, errRestart
			}
			return nil, errAbnormal
		}
	}
}

// hangUp is the peer closing its end.
func (p *pipe) hangUp() { p.goneOnce.Do(func() { close(p.gone) }) }
