-- The parts of a RESULT line that bench/spike.lua and bench/sellout.lua share; each loads this file
-- with dofile from its own folder.
--
--   s<code>=<n> ...                    answers per HTTP status, in code order
--   err_connect= err_read= err_write= err_timeout=   wrk's socket error counts
--   latency_ms=50:<ms>,75:<ms>,90:<ms>,95:<ms>,99:<ms>,99.9:<ms>,99.99:<ms>,max:<ms>
--                                      wrk's latency distribution (percentile:milliseconds, one key so
--                                      that `spike bench report` can plot it without knowing the list)
local report = {}

-- status code -> count, summed over wrk's threads (each keeps its own "statuses" table)
function report.statuses(threads)
  local agg = {}
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("statuses") or {}) do
      agg[code] = (agg[code] or 0) + count
    end
  end
  return agg
end

-- appends "s<code>=<n>" in code order, then wrk's socket error counts
function report.append_statuses_and_errors(parts, agg, errors)
  local codes = {}
  for code, _ in pairs(agg) do
    table.insert(codes, code)
  end
  table.sort(codes)
  for _, code in ipairs(codes) do
    table.insert(parts, string.format("s%d=%d", code, agg[code]))
  end
  table.insert(parts, string.format("err_connect=%d", errors.connect))
  table.insert(parts, string.format("err_read=%d", errors.read))
  table.insert(parts, string.format("err_write=%d", errors.write))
  table.insert(parts, string.format("err_timeout=%d", errors.timeout))
end

-- the percentiles of latency_ms: enough of the tail for a "nines" plot, without wrk's full histogram
local latency_percentiles = { "50", "75", "90", "95", "99", "99.9", "99.99" }

-- appends "latency_ms=<p>:<ms>,...,max:<ms>" from wrk's latency statistics (microseconds)
function report.append_latency(parts, latency)
  local points = {}
  for _, p in ipairs(latency_percentiles) do
    table.insert(points, string.format("%s:%.3f", p, latency:percentile(tonumber(p)) / 1000.0))
  end
  table.insert(points, string.format("max:%.3f", latency.max / 1000.0))
  table.insert(parts, "latency_ms=" .. table.concat(points, ","))
end

return report
