-- wrk script of bench/web/run.sh.
--   BENCH_MODE=get  (default): the request given on the command line (-H headers apply);
--   BENCH_MODE=post: the same urlencoded form BENCH_BODY posted every time;
--   BENCH_MODE=file: POST /request, the public filing form, each request with its own
--                    idempotency key and its own mailbox (as real filings come from many
--                    people: the per-mailbox count stays as small as in use); BENCH_BODY holds
--                    the other fields (csrf_token included, matching the cmh_csrf cookie
--                    passed with -H; its email is replaced), BENCH_TAG keeps keys of
--                    successive runs apart.
-- The done hook prints one machine-readable line; status_errors counts answers that are
-- neither 2xx nor 3xx (run.sh refuses to report a measurement with any).

local mode = os.getenv("BENCH_MODE") or "get"

local counter = 1
local threads = {}

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

if mode == "post" then
   wrk.method = "POST"
   wrk.body = os.getenv("BENCH_BODY") or ""
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
elseif mode == "file" then
   local body_rest = os.getenv("BENCH_BODY") or ""
   local tag = os.getenv("BENCH_TAG") or "run"
   local n = 0
   local headers = nil
   function request()
      if headers == nil then
         -- wrk.format replaces wrk.headers (the -H ones: the CSRF cookie) with the table given.
         headers = {}
         for name, value in pairs(wrk.headers) do headers[name] = value end
         headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      n = n + 1
      local key = string.format("load-%s-%d-%d", tag, id, n)
      local mailbox = string.format("email=%s%%40example.be", key)
      -- A function, so that the "%" of the replacement is not read as a capture.
      local rest = body_rest:gsub("email=[^&]*", function() return mailbox end)
      local body = "idempotency_key=" .. key .. "&" .. rest
      return wrk.format("POST", "/request", headers, body)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
      "status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout))
end
