package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Intake and floor under wrk, when it is installed: a load generator in C whose own
// cost is small, so a floor that takes every core it is given shows as one (the
// benchmark's Go client used to saturate first). Each wrk thread sends its share of the
// pool's distinct deliveries, as raw requests, in order.

// wrkPath is the wrk binary, "" when it is not installed.
func wrkPath() string {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return ""
	}
	return p
}

const wrkScript = `
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local reqs = {}
local i = 0
wrapped = 0
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local n, pos, T = 0, 1, tonumber(args[3])
  for line in io.lines(args[2]) do
    local len = tonumber(line)
    if n % T == id then reqs[#reqs + 1] = data:sub(pos, pos + len - 1) end
    pos = pos + len
    n = n + 1
  end
end

function request()
  i = i + 1
  if i > #reqs then
    i = 1
    wrapped = wrapped + 1
  end
  return reqs[i]
end

function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + t:get("wrapped") end
  io.write(string.format("WRAPPED %d\n", w))
end
`

// writeWrkPool writes the pool as raw HTTP/1.1 requests to host (a blob and the
// length of each request, one a line) and the script, in dir; it returns their paths.
func writeWrkPool(dir, name, host string, pool []hook) (blob, idx, script string, err error) {
	blob, idx, script = filepath.Join(dir, name+".wrk.bin"), filepath.Join(dir, name+".wrk.idx"), filepath.Join(dir, "wrk.lua")
	var data bytes.Buffer
	var lens strings.Builder
	for _, h := range pool {
		n := data.Len()
		fmt.Fprintf(&data, "%s %s HTTP/1.1\r\nHost: %s\r\n", h.method, h.target, host)
		for i := 0; i+1 < len(h.header); i += 2 {
			if !strings.EqualFold(h.header[i], "Content-Length") && !strings.EqualFold(h.header[i], "Host") {
				fmt.Fprintf(&data, "%s: %s\r\n", h.header[i], h.header[i+1])
			}
		}
		if len(h.body) > 0 || h.method != "GET" {
			fmt.Fprintf(&data, "Content-Length: %d\r\n", len(h.body))
		}
		data.WriteString("\r\n")
		data.Write(h.body)
		fmt.Fprintf(&lens, "%d\n", data.Len()-n)
	}
	if err = os.WriteFile(blob, data.Bytes(), 0o600); err == nil {
		err = os.WriteFile(idx, []byte(lens.String()), 0o600)
	}
	if err == nil {
		err = os.WriteFile(script, []byte(wrkScript), 0o600)
	}
	return blob, idx, script, err
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(m?s)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkWrapped  = regexp.MustCompile(`WRAPPED (\d+)`)
)

// driveWrk loads s with the pool through wrk (two threads, conns connections) for d.
func driveWrk(ctx context.Context, wrk string, s *server, pool []hook, d time.Duration, conns int, dir string) (load, error) {
	var l load
	blob, idx, script, err := writeWrkPool(dir, s.name, s.addr, pool)
	if err != nil {
		return l, err
	}
	defer os.Remove(blob)
	threads := 2
	cmd := exec.CommandContext(ctx, wrk, "-t", fmt.Sprint(threads), "-c", fmt.Sprint(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "30s", "-s", script, s.base+"/", "--", blob, idx, fmt.Sprint(threads))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cpuS, cpuM := cpuTime(s.pid), machineBusy()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return l, fmt.Errorf("wrk: %w: %s", err, out.String())
	}
	l.elapsed = time.Since(start)
	text := out.String()
	m := wrkRequests.FindStringSubmatch(text)
	if m == nil {
		return l, fmt.Errorf("wrk: no request count in its output: %s", text)
	}
	total, _ := strconv.ParseInt(m[1], 10, 64)
	secs, _ := strconv.ParseFloat(m[2], 64)
	if m[3] == "ms" {
		secs /= 1000
	}
	var bad int64
	if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
		bad, _ = strconv.ParseInt(m[1], 10, 64)
	}
	var sockErrs int64
	if m := wrkErrors.FindStringSubmatch(text); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			sockErrs += n
		}
	}
	l.ok, l.failed = total-bad, bad+sockErrs
	if m := wrkWrapped.FindStringSubmatch(text); m != nil && m[1] != "0" {
		l.exhausted = true
	}
	if l.failed > 0 {
		l.lastErr = firstLines(text, 12)
	}
	wall := l.elapsed.Seconds()
	l.elapsed = time.Duration(secs * float64(time.Second)) // wrk's own measuring time, for the rate
	client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	l.clientCores = client.Seconds() / wall
	if s.pid > 0 {
		l.serverCores = (cpuTime(s.pid) - cpuS).Seconds() / wall
		if cpuM > 0 {
			l.otherCores = max(0, (machineBusy()-cpuM).Seconds()/wall-l.serverCores-l.clientCores)
		}
	}
	return l, nil
}

func firstLines(s string, n int) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() && len(out) < n {
		out = append(out, sc.Text())
	}
	return strings.Join(out, " | ")
}
