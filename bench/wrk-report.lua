-- The parts of a RESULT line that bench/spike.lua and bench/sellout.lua share; each loads this file
-- with dofile from its own folder.
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

return report
