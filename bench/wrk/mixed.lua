-- Mixed reads and writes: 80 % retrieve, 10 % list, 8 % modify, 2 % delete of random users.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local levels = { "beginner", "intermediate", "advanced", "expert" }

request = function()
  local id = ids[math.random(#ids)]
  local r = math.random(100)
  if r <= 80 then
    return wrk.format("GET", "/v1/organization/users/" .. id)
  elseif r <= 90 then
    return wrk.format("GET", "/v1/organization/users?limit=20&after=" .. id)
  elseif r <= 98 then
    local body = '{"technical_level":"' .. levels[math.random(#levels)] .. '"}'
    -- Headers given to wrk.format replace wrk.headers: the key must be among them.
    local headers = { ["Content-Type"] = "application/json", ["Authorization"] = wrk.headers["Authorization"] }
    return wrk.format("POST", "/v1/organization/users/" .. id, headers, body)
  else
    return wrk.format("DELETE", "/v1/organization/users/" .. id)
  end
end
