-- wrk script for the sell-out run of `./spike.sh bench cluster`.
--
--   wrk -t2 -c100 -d130s -s bench/sellout.lua http://127.0.0.1:8080 -- <sale> <run-id> <max-buyers>
--
-- Every request is a new buyer ("<run-id>-<thread>-<n>", requestId "r<buyer>"), at most <max-buyers>
-- over all threads. A thread stops buying once it has seen 20 "sold_out" answers (a sold-out sale
-- stays sold out during a bench) or used up its share of the buyers; from then on its connections
-- only ask nginx's own /nginx/healthz, so that every buy already sent is answered (drained) before
-- spike.sh stops wrk with SIGINT. Answers to those health checks are not counted.
--
-- done() prints, besides wrk's own statistics:
--   RESULT sent=<buys sent> answered=<buys answered> s200=.. s409=.. (one per status) err_*=.. retry=<n>
--   UPSTREAM <node address> <answers> <reserved>    (X-Spike-Upstream: which API node answered)
--   RETRY <requestId>      each buy answered 429/503 (its body names the requestId): spike.sh retries
--                          it with the same requestId, as a client would
-- No latency_ms: wrk's latency statistics of this run mix the buys with the health checks that follow
-- them, so they describe neither.
-- A buy answered with a socket error cannot be told apart from a health check: wrk's err_* counts
-- show it, and spike.sh reports the audit as inexact then.

local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-report.lua")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
  for _, t in ipairs(threads) do
    t:set("nthreads", #threads)
  end
end

statuses = {}
sent = 0
answered = 0
up_answers = {}   -- flat tables: wrk copies nested tables between Lua states badly
up_reserved = {}
retry = {}

local prefix, path_prefix, per_thread
local n = 0
local soldout_seen = 0
local halted = false
local health
local verified = false

function init(args)
  local sale = args[1] or "bench"
  local run = args[2] or "run"
  local max_buyers = tonumber(args[3] or "300000")
  per_thread = math.ceil(max_buyers / nthreads)
  prefix = run .. "-" .. tostring(tid) .. "-"
  path_prefix = "/buy/ticket?sale=" .. sale .. "&user="
  health = wrk.format("GET", "/nginx/healthz")
end

function request()
  -- wrk calls request() of thread 1 once before the run, to check the request it builds, and never
  -- sends it: do not count that one as a buyer
  if not verified then
    verified = true
    if tid == 1 then
      return health
    end
  end
  if not halted and n >= per_thread then
    halted = true
  end
  if halted then
    return health
  end
  n = n + 1
  sent = n
  local user = prefix .. tostring(n)
  return wrk.format("GET", path_prefix .. user .. "&requestId=r" .. user)
end

function response(status, headers, body)
  if body == "ok\n" then
    return -- nginx's health check, not a buy
  end
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  local up = headers["X-Spike-Upstream"] or "?"
  up = string.match(up, "([^, ]+)$") or up -- after a retry on another node: "a, b"; b answered
  up_answers[up] = (up_answers[up] or 0) + 1
  if status == 200 then
    up_reserved[up] = (up_reserved[up] or 0) + 1
  elseif status == 409 then
    if string.find(body, "sold_out", 1, true) then
      soldout_seen = soldout_seen + 1
      if soldout_seen >= 20 then
        halted = true
      end
    end
  elseif status == 429 or status == 503 then
    local id = string.match(body, '"requestId":"([^"]+)"')
    if id then
      table.insert(retry, id)
    end
  end
end

function done(summary, latency, requests)
  local agg, ups, retries = report.statuses(threads), {}, {}
  local total_sent, total_answered = 0, 0
  for _, t in ipairs(threads) do
    local ua, ur = t:get("up_answers") or {}, t:get("up_reserved") or {}
    for up, c in pairs(ua) do
      local a = ups[up] or { 0, 0 }
      a[1], a[2] = a[1] + c, a[2] + (ur[up] or 0)
      ups[up] = a
    end
    for _, id in ipairs(t:get("retry") or {}) do
      table.insert(retries, id)
    end
    total_sent = total_sent + (t:get("sent") or 0)
    total_answered = total_answered + (t:get("answered") or 0)
  end
  local parts = {
    string.format("sent=%d", total_sent),
    string.format("answered=%d", total_answered),
    string.format("seconds=%.3f", summary.duration / 1e6),
  }
  report.append_statuses_and_errors(parts, agg, summary.errors)
  table.insert(parts, string.format("retry=%d", #retries))
  for up, c in pairs(ups) do
    io.write(string.format("UPSTREAM %s %d %d\n", up, c[1], c[2]))
  end
  for _, id in ipairs(retries) do
    io.write("RETRY ", id, "\n")
  end
  io.write("RESULT ", table.concat(parts, " "), "\n")
end
