package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"ringside/server/version"
	"ringside/store"
)

// tools are the subcommands; none of them starts the server.
var tools = map[string]func(args []string) error{
	"version": func([]string) error { fmt.Println("ringside", version.String()); return nil },
	"backup":  backupCmd,
	"restore": restoreCmd,
	"check":   checkCmd,
	"compact": compactCmd,
	"help":    func([]string) error { fmt.Print(toolsHelp); return nil },
}

const toolsHelp = `ringside [-config FILE] [-listen ADDR] [-data DIR] [-demo] [-log-format json]
    run the server
ringside version
    print the version
ringside backup -url URL [-key API_KEY] FILE
    a consistent copy of a running server's database, taken while it keeps
    acknowledging webhooks (GET /api/v1/backup with an admin's API key;
    env RINGSIDE_URL, RINGSIDE_API_KEY)
ringside backup [-data DIR] FILE
    a copy of a stopped server's database
ringside restore [-data DIR] FILE
    put a backup in place of DIR/ringside.db (the server must be stopped); the
    file it replaces is kept beside it as ringside.db.before-restore-TIME
ringside check [-data DIR | FILE]
    verify a database file page by page and report its size per bucket
ringside compact [-data DIR] [-keep]
    rewrite a stopped server's database without its free pages (needs free
    space for the copy); -keep leaves the old file as ringside.db.before-compact-TIME
`

func toolFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("ringside "+name, flag.ContinueOnError)
	data := fs.String("data", envOr("RINGSIDE_DATA", "data"), "data directory (env RINGSIDE_DATA)")
	return fs, data
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func backupCmd(args []string) error {
	fs, data := toolFlags("backup")
	url := fs.String("url", os.Getenv("RINGSIDE_URL"), "base URL of the running server (env RINGSIDE_URL)")
	key := fs.String("key", os.Getenv("RINGSIDE_API_KEY"), "an admin's API key (env RINGSIDE_API_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("name the file to write: ringside backup [-url URL] FILE")
	}
	out := fs.Arg(0)
	var seq uint64
	var err error
	if *url != "" {
		seq, err = fetchBackup(strings.TrimRight(*url, "/"), *key, out)
	} else {
		seq, err = store.BackupFile(filepath.Join(*data, "ringside.db"), out)
	}
	if err != nil {
		return err
	}
	r, err := store.Inspect(out)
	if err != nil {
		return fmt.Errorf("the copy does not check: %w", err)
	}
	fmt.Printf("backup of the log up to seq %d written to %s (%d bytes, checked)\n", seq, out, r.FileBytes)
	return nil
}

// fetchBackup downloads GET /api/v1/backup into out (through out.part, fsynced).
func fetchBackup(base, key, out string) (uint64, error) {
	req, err := http.NewRequest("GET", base+"/api/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-APIKEY", key)
	resp, err := (&http.Client{Timeout: 30 * time.Minute}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("%s answered %s: %s", base, resp.Status, strings.TrimSpace(string(msg)))
	}
	var seq uint64
	fmt.Sscan(resp.Header.Get("X-Ringside-Seq"), &seq)
	part := out + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("download cut short: %d of %d bytes", n, resp.ContentLength)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, out)
	}
	if err != nil {
		os.Remove(part)
		return 0, err
	}
	return seq, nil
}

func restoreCmd(args []string) error {
	fs, data := toolFlags("restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("name the backup to restore: ringside restore [-data DIR] FILE")
	}
	target := filepath.Join(*data, "ringside.db")
	kept, err := store.Restore(fs.Arg(0), target)
	if err != nil {
		return err
	}
	r, err := store.Inspect(target)
	if err != nil {
		return err
	}
	fmt.Printf("restored %s to %s: the log up to seq %d\n", fs.Arg(0), target, r.LastSeq)
	if kept != "" {
		fmt.Printf("the file it replaced is kept as %s\n", kept)
	}
	return nil
}

func checkCmd(args []string) error {
	fs, data := toolFlags("check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := filepath.Join(*data, "ringside.db")
	if fs.NArg() == 1 {
		path = fs.Arg(0)
	}
	r, err := inspect(path)
	if err != nil {
		return err
	}
	fmt.Printf("%s: ok, %d bytes (page %d, %d free pages), log up to seq %d, snapshot at seq %d; %.0f bytes an event in pages in use\n",
		r.Path, r.FileBytes, r.PageSize, r.FreePages, r.LastSeq, r.SnapshotSeq, r.InUseBytesPerEvent())
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "bucket\tkeys\tbytes\t")
	for _, b := range r.Buckets {
		fmt.Fprintf(w, "%s\t%d\t%d\t\n", b.Name, b.Keys, b.Bytes)
	}
	return w.Flush()
}

// inspect is store.Inspect with a damaged page's panic or fault (bbolt walking a page
// it cannot parse) as the verdict, not a runtime trace.
func inspect(path string) (r store.Report, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s is damaged (%v): restore a backup (`ringside restore FILE`)", path, p)
		}
	}()
	return store.Inspect(path)
}

func compactCmd(args []string) error {
	fs, data := toolFlags("compact")
	keep := fs.Bool("keep", false, "keep the old file beside the compacted one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("compact takes no file: ringside compact [-data DIR] [-keep]")
	}
	path := filepath.Join(*data, "ringside.db")
	if _, err := inspect(path); err != nil {
		return fmt.Errorf("not compacting: %w", err)
	}
	before, after, kept, err := store.Compact(path, *keep)
	if err != nil {
		return err
	}
	fmt.Printf("compacted %s: %d bytes -> %d bytes (%d free pages dropped), %d events up to seq %d, checked\n",
		path, before.FileBytes, after.FileBytes, before.FreePages, after.Events, after.LastSeq)
	if kept != "" {
		fmt.Printf("the old file is kept as %s\n", kept)
	}
	return nil
}
