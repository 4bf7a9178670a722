-- Shared by the workload scripts: the admin key and the user ids exported from the store.
local key = os.getenv("BENCH_KEY")
wrk.headers["Authorization"] = "Bearer " .. key

ids = {}
local ids_file = os.getenv("BENCH_IDS")
if ids_file then
  for line in io.lines(ids_file) do ids[#ids + 1] = line end
end

-- Each run, and each wrk thread in it, draws its own ids: a rerun of the mixed workload must not
-- replay the deletes of the run before (they would all be 404s).
math.randomseed(os.time())

function setup(thread)
  thread:set("seed", math.random(1, 2^30))
end

function init(args)
  math.randomseed(seed or os.time())
end
