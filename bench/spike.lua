-- wrk script for `./spike.sh bench`.
--
--   wrk -t2 -c100 -d10s -s bench/spike.lua http://127.0.0.1:3001 -- <mode> <sale> <run-id>
--
-- mode:
--   buy        GET /buy/ticket?sale=<sale>&user=<new user>&requestId=<new id>   (every request a new user)
--   buy-track  the same, and remembers every request that did not get a 200 back (answered otherwise,
--              or still in flight when wrk stopped); done() prints them as "PENDING <user>" so the
--              caller can retry them with the same requestId and make the audit exact
--   first      GET /buy/ticket?sale=<sale>&user=<new user>   (no requestId: the crowd's first attempts;
--              a sold-out node answers these and requests with a requestId alike, from its copy of the
--              sale's reservations)
--   ping       GET /ping?user=<new user>  (same request-building work as buy: a fair HTTP ceiling)
--
-- done() prints one machine-readable line:
--   RESULT requests=.. seconds=.. rps=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. sent=..
--          s200=.. s409=.. ...(one per status seen) err_connect=.. err_read=.. err_write=.. err_timeout=..
--          pending=.. latency_ms=50:<ms>,75:<ms>,90:<ms>,95:<ms>,99:<ms>,99.9:<ms>,99.99:<ms>,max:<ms>
--   (latency_ms: wrk's latency distribution, percentile:milliseconds, read by `spike bench report`)
--
-- Users are "<run-id>-<thread>-<n>", the request id is "r<user>", so every request of every thread of
-- every run is unique.

local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-report.lua")

local threads = {}
local thread_count = 0

-- runs in the main Lua state, once per thread, before the threads start
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

-- per-thread state (each wrk thread has its own Lua state; done() reads these with thread:get)
statuses = {}
sent = 0
pending = {}

local path_prefix
local user_prefix
local track = false
local with_request_id = true
local n = 0

function init(args)
  local mode = args[1] or "ping"
  local sale = args[2] or "bench"
  local run = args[3] or "run"
  user_prefix = run .. "-" .. tostring(tid) .. "-"
  if mode == "ping" then
    path_prefix = "/ping?"
  elseif mode == "buy" or mode == "buy-track" or mode == "first" then
    path_prefix = "/buy/ticket?sale=" .. sale .. "&"
    track = (mode == "buy-track")
    with_request_id = (mode ~= "first")
  else
    error("unknown mode " .. mode .. " (buy | buy-track | first | ping)")
  end
end

function request()
  n = n + 1
  sent = n
  local u = tostring(n)
  if track then
    pending[u] = true
  end
  local user = user_prefix .. u
  if not with_request_id then
    return wrk.format("GET", path_prefix .. "user=" .. user)
  end
  return wrk.format("GET", path_prefix .. "user=" .. user .. "&requestId=r" .. user)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if track and status == 200 and body then
    -- a reserved answer carries the user: {"status":"reserved",...,"user":"<run>-<tid>-<n>",...}
    local u = string.match(body, '"user":"[^"]*%-(%d+)"')
    if u then
      pending[u] = nil
    end
  end
end

local function ms(us)
  return us / 1000.0
end

function done(summary, latency, requests)
  local agg = report.statuses(threads)
  local total_sent = 0
  local pend = {}
  for _, t in ipairs(threads) do
    total_sent = total_sent + (t:get("sent") or 0)
    local p = t:get("pending") or {}
    local tid = t:get("tid")
    for u, _ in pairs(p) do
      table.insert(pend, tostring(tid) .. "-" .. u)
    end
  end

  local seconds = summary.duration / 1e6
  local parts = {
    string.format("requests=%d", summary.requests),
    string.format("seconds=%.3f", seconds),
    string.format("rps=%.1f", summary.requests / seconds),
    string.format("p50_ms=%.3f", ms(latency:percentile(50))),
    string.format("p90_ms=%.3f", ms(latency:percentile(90))),
    string.format("p99_ms=%.3f", ms(latency:percentile(99))),
    string.format("max_ms=%.3f", ms(latency.max)),
    string.format("sent=%d", total_sent),
  }
  report.append_statuses_and_errors(parts, agg, summary.errors)
  table.insert(parts, string.format("pending=%d", #pend))
  report.append_latency(parts, latency)

  for _, u in ipairs(pend) do
    io.write("PENDING ", u, "\n")
  end
  io.write("RESULT ", table.concat(parts, " "), "\n")
end
