-- Writes only: every request modifies a random user's metadata (the write path, audit event
-- included). Run by hand against a seeded server:
--   BENCH_DIR=bench BENCH_IDS=ids.txt BENCH_KEY=sk-admin-… wrk -t1 -c64 -d8s -s bench/wrk/modify.lua http://127.0.0.1:PORT
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local levels = { "beginner", "intermediate", "advanced", "expert" }

request = function()
  local id = ids[math.random(#ids)]
  local body = '{"technical_level":"' .. levels[math.random(#levels)] .. '"}'
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = wrk.headers["Authorization"] }
  return wrk.format("POST", "/v1/organization/users/" .. id, headers, body)
end
