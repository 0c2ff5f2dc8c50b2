package server

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// apiBackup is GET /api/v1/backup (admin): a consistent copy of the database,
// taken while intake goes on. X-Ringside-Seq names the last event it holds. The copy
// is made on the data directory's disk first (seconds), so a slow download never
// holds a read transaction open.
func (s *Server) apiBackup(c *fiber.Ctx) error {
	tmp := filepath.Join(s.cfg().Data, "backup-"+randomID()+".db")
	seq, err := s.store.Backup(tmp)
	if err != nil {
		s.log.Error("backup failed", "err", err)
		return apiError(c, fiber.StatusServiceUnavailable, "backup failed: "+err.Error())
	}
	f, err := os.Open(tmp)
	os.Remove(tmp) // the open file stays readable until the answer has been sent
	if err != nil {
		return apiError(c, fiber.StatusServiceUnavailable, "backup failed: "+err.Error())
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return apiError(c, fiber.StatusServiceUnavailable, "backup failed: "+err.Error())
	}
	s.log.Info("backup taken", "seq", seq, "bytes", fi.Size(), "ip", c.IP())
	c.Set("X-Ringside-Seq", strconv.FormatUint(seq, 10))
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="ringside-`+strconv.FormatUint(seq, 10)+`.db"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(f, int(fi.Size())) // fasthttp closes f when sent
}
