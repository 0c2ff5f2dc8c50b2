package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	bolt "go.etcd.io/bbolt"
)

// The floor is the least a webhook intake can do: a bare fiber handler that decodes the
// body (JSON, else form or query) and writes it to bbolt through DB.Batch, fsync on,
// answering after the commit. It runs as a child process (this binary again, told so
// by the environment) so it gets the machine as the server child does.
const (
	floorAddrEnv = "RINGSIDE_BENCH_FLOOR_ADDR"
	floorDBEnv   = "RINGSIDE_BENCH_FLOOR_DB"
)

// floorChild serves the floor when this process was started as one; it reports
// whether it did (main and TestMain return then).
func floorChild() bool {
	addr, db := os.Getenv(floorAddrEnv), os.Getenv(floorDBEnv)
	if addr == "" || db == "" {
		return false
	}
	if err := serveFloor(addr, db); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	return true
}

var floorBucket = []byte("bodies")

func serveFloor(addr, path string) error {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(floorBucket); return err }); err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 4 << 20})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.All("/hooks/*", func(c *fiber.Ctx) error {
		body := c.Body()
		var v any
		if strings.Contains(c.Get(fiber.HeaderContentType), "json") {
			if err := json.Unmarshal(body, &v); err != nil {
				return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"success": 0, "message": err.Error()})
			}
		} else if len(body) > 0 {
			v, _ = url.ParseQuery(string(body))
		} else {
			v, _ = url.ParseQuery(string(c.Request().URI().QueryString()))
		}
		_ = v
		err := db.Batch(func(tx *bolt.Tx) error {
			b := tx.Bucket(floorBucket)
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			k := binary.BigEndian.AppendUint64(nil, id)
			return b.Put(k, append([]byte(nil), body...))
		})
		if err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"success": 0, "message": err.Error()})
		}
		return c.JSON(fiber.Map{"success": 1, "message": ""})
	})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	return app.Listen(addr)
}

// startFloor starts the floor child with a fresh database in dir.
func startFloor(ctx context.Context, dir string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "floor.db")
	s := &server{name: "floor", base: "http://" + addr, addr: addr, logPath: filepath.Join(dir, "floor.log")}
	s.mk = func() *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), floorAddrEnv+"="+addr, floorDBEnv+"="+db)
		return cmd
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	if err := s.waitHealthy(ctx, 30*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}
