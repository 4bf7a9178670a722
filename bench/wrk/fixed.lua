-- One fixed path (BENCH_PATH), e.g. a list page or an email filter.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local path = os.getenv("BENCH_PATH")

request = function()
  return wrk.format("GET", path)
end
