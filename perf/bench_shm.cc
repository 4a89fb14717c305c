// bench_shm.cc - Google Benchmark harness for the shm rings: writer append
// rate (ticks/s) and the cost of reading + validating a 60-tick window in
// place. A thin layer: the work is in bench_shm_ops.c (C11 atomics).
// JSON goes to $TG_BENCH_DIR/bench_shm.json (default build/bench/).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "perf/bench_shm_ops.h"

namespace
{

constexpr uint64_t kBatch = 4096; // appends per C call, to hide call overhead

void BM_append(benchmark::State &state)
{
	bench_shm *b = bench_shm_open(static_cast<uint32_t>(state.range(0)));
	if (!b) {
		state.SkipWithError("cannot create segment");
		return;
	}
	for (auto _ : state)
		bench_shm_append(b, kBatch);
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
	bench_shm_close(b);
}
BENCHMARK(BM_append)->Arg(1024)->Arg(65536)->Unit(benchmark::kMicrosecond);

void BM_append_packed(benchmark::State &state)
{
	bench_shm *b = bench_shm_open(static_cast<uint32_t>(state.range(0)));
	if (!b) {
		state.SkipWithError("cannot create segment");
		return;
	}
	for (auto _ : state)
		bench_shm_append_packed(b, kBatch);
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
	bench_shm_close(b);
}
BENCHMARK(BM_append_packed)->Arg(1024)->Unit(benchmark::kMicrosecond);

/* One window read of n ticks per iteration, through `read` (the three
 * variants differ only in what they do with the window). */
static void window_bench(benchmark::State &state, uint64_t (*read)(bench_shm *, uint32_t))
{
	bench_shm *b = bench_shm_open(1024);
	if (!b) {
		state.SkipWithError("cannot create segment");
		return;
	}
	uint32_t n = static_cast<uint32_t>(state.range(0));
	for (auto _ : state)
		benchmark::DoNotOptimize(read(b, n));
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	bench_shm_close(b);
}

void BM_window_prices(benchmark::State &state)
{
	window_bench(state, bench_shm_window_prices);
}
BENCHMARK(BM_window_prices)->Arg(60);

void BM_window_prices_copy(benchmark::State &state)
{
	window_bench(state, bench_shm_window_prices_copy);
}
BENCHMARK(BM_window_prices_copy)->Arg(60);

void BM_window_copy(benchmark::State &state)
{
	window_bench(state, bench_shm_window_copy);
}
BENCHMARK(BM_window_copy)->Arg(60);

void BM_try_read(benchmark::State &state)
{
	bench_shm *b = bench_shm_open(1024);
	if (!b) {
		state.SkipWithError("cannot create segment");
		return;
	}
	for (auto _ : state)
		benchmark::DoNotOptimize(bench_shm_try_read(b));
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	bench_shm_close(b);
}
BENCHMARK(BM_try_read);

} // namespace

int main(int argc, char **argv)
{
	const char *dir = std::getenv("TG_BENCH_DIR");
	std::string out = std::string("--benchmark_out=") + (dir && *dir ? dir : "build/bench") +
	                  "/bench_shm.json";
	std::vector<char *> args(argv, argv + argc);
	bool has_out = false;
	for (int i = 1; i < argc; i++)
		has_out = has_out || std::string(argv[i]).rfind("--benchmark_out=", 0) == 0;
	std::string fmt = "--benchmark_out_format=json";
	if (!has_out) {
		args.push_back(&out[0]);
		args.push_back(&fmt[0]);
	}
	int n = static_cast<int>(args.size());
	benchmark::Initialize(&n, args.data());
	if (benchmark::ReportUnrecognizedArguments(n, args.data()))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
