-- Retrieve random users.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")

request = function()
  return wrk.format("GET", "/v1/organization/users/" .. ids[math.random(#ids)])
end
