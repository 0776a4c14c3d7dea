// FireQueue at launcher scale (1,000,000 jobs), against the obvious
// std::set + std::unordered_map design run in the same go.
//
// Prints medians of 5 repetitions (ratios use CPU time), bytes per job (memory_bytes() and what
// malloc really handed out), and at the end the time and memory ratio of
// each benchmark to its baseline. Jobs fire at whole seconds within one
// day, so about 11 jobs share each fire time: ties are the normal case.
#include "core/fire_queue.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pg_jobs {
namespace {

constexpr int64_t kJobs = 1000000;
constexpr Timestamp kDay = 86400 * kMicrosPerSecond;
constexpr Timestamp kForever = std::numeric_limits<Timestamp>::max();
constexpr const char* kBaselineSuffix = "_Baseline";

// Fire time of job `i` (1-based) in every benchmark: a whole second within a day.
const std::vector<Timestamp>& fire_times() {
    static const std::vector<Timestamp> times = [] {
        std::mt19937_64 rng(42);
        std::uniform_int_distribution<int64_t> second(0, 86399);
        std::vector<Timestamp> out(kJobs + 1);
        std::generate(out.begin(), out.end(), [&] { return second(rng) * kMicrosPerSecond; });
        return out;
    }();
    return times;
}

// Bytes currently allocated through malloc, to check memory_bytes() is honest.
size_t malloc_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

// The design FireQueue replaces: an ordered set for "earliest" plus a hash
// map for "where is job X".
class SetBaseline {
public:
    void upsert(int64_t job, Timestamp at) {
        auto [it, inserted] = time_of_.try_emplace(job, at);
        if (!inserted) {
            order_.erase({it->second, job});
            it->second = at;
        }
        order_.insert({at, job});
    }

    size_t pop_due(Timestamp now, size_t max_jobs, std::vector<int64_t>& out) {
        size_t popped = 0;
        while (popped < max_jobs && !order_.empty() && order_.begin()->first <= now) {
            const int64_t job = order_.begin()->second;
            out.push_back(job);
            order_.erase(order_.begin());
            time_of_.erase(job);
            ++popped;
        }
        return popped;
    }

private:
    std::set<std::pair<Timestamp, int64_t>> order_;
    std::unordered_map<int64_t, Timestamp> time_of_;
};

template <typename Queue>
void fill(Queue& queue) {
    const auto& times = fire_times();
    for (int64_t job = 1; job <= kJobs; ++job) {
        queue.upsert(job, times[job]);
    }
}

// Loading every enabled job at launcher start.
template <typename Queue>
void BM_Upsert1M(benchmark::State& state) {
    size_t malloc_bytes = 0;
    for (auto _ : state) {
        const size_t before = malloc_in_use();
        auto queue = std::make_unique<Queue>();
        fill(*queue);
        benchmark::DoNotOptimize(queue.get());
        // Measure memory and free the queue off the clock: the subject is
        // the upserts, and freeing 2M set nodes would swamp the baseline.
        state.PauseTiming();
        malloc_bytes = malloc_in_use() - before;
        queue.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * kJobs);
    state.counters["malloc_bytes_per_job"] = static_cast<double>(malloc_bytes) / kJobs;
    if constexpr (std::is_same_v<Queue, FireQueue>) {
        FireQueue queue;
        fill(queue);
        state.counters["bytes_per_job"] = static_cast<double>(queue.memory_bytes()) / kJobs;
    }
}

// Jobs being edited: move random existing jobs to new times in a full queue.
template <typename Queue>
void BM_Reschedule1M(benchmark::State& state) {
    Queue queue;
    fill(queue);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> any_job(1, kJobs);
    std::uniform_int_distribution<int64_t> any_second(0, 86399);
    constexpr int kBatch = 1000;
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) {
            queue.upsert(any_job(rng), any_second(rng) * kMicrosPerSecond);
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

// Draining a full queue in batches of 1,000 due jobs.
template <typename Queue>
void BM_PopDue1M(benchmark::State& state) {
    Queue full;
    fill(full);
    std::vector<int64_t> due;
    due.reserve(1000);
    for (auto _ : state) {
        state.PauseTiming();
        Queue queue = full;
        state.ResumeTiming();
        while (queue.pop_due(kForever, 1000, due) > 0) {
            due.clear();
        }
        benchmark::DoNotOptimize(queue);
    }
    state.SetItemsProcessed(state.iterations() * kJobs);
}

// The launcher's steady state with 1M daily jobs: every tick (one second
// of simulated time) fire what is due and put each job back a day later.
template <typename Queue>
void BM_FireAndReschedule1M(benchmark::State& state) {
    Queue queue;
    fill(queue);
    std::vector<int64_t> due;
    Timestamp now = 0;
    int64_t fired = 0;
    for (auto _ : state) {
        due.clear();
        queue.pop_due(now, std::numeric_limits<size_t>::max(), due);
        for (const int64_t job : due) {
            queue.upsert(job, now + kDay);
        }
        fired += static_cast<int64_t>(due.size());
        now += kMicrosPerSecond;
    }
    state.SetItemsProcessed(fired);
    state.counters["jobs_per_tick"] = static_cast<double>(fired) / static_cast<double>(state.iterations());
}

// The same steady state without the pop: move each due job straight to its
// next time with upsert, one sift instead of a removal plus an insertion.
// What the launcher can do when it knows the next time at dispatch.
void BM_FireInPlace1M(benchmark::State& state) {
    FireQueue queue;
    fill(queue);
    Timestamp now = 0;
    int64_t fired = 0;
    while (state.KeepRunning()) {
        for (auto top = queue.peek(); top && top->fire_time <= now; top = queue.peek()) {
            queue.upsert(top->job_id, now + kDay);
            ++fired;
        }
        now += kMicrosPerSecond;
    }
    state.SetItemsProcessed(fired);
    state.counters["jobs_per_tick"] = static_cast<double>(fired) / static_cast<double>(state.iterations());
}

void configure(benchmark::internal::Benchmark* bench) {
    bench->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);
}

BENCHMARK_TEMPLATE(BM_Upsert1M, FireQueue)->Name("BM_Upsert1M")->Apply(configure);
BENCHMARK_TEMPLATE(BM_Upsert1M, SetBaseline)->Name("BM_Upsert1M_Baseline")->Apply(configure);
BENCHMARK_TEMPLATE(BM_Reschedule1M, FireQueue)->Name("BM_Reschedule1M")->Apply(configure);
BENCHMARK_TEMPLATE(BM_Reschedule1M, SetBaseline)->Name("BM_Reschedule1M_Baseline")->Apply(configure);
BENCHMARK_TEMPLATE(BM_PopDue1M, FireQueue)->Name("BM_PopDue1M")->Apply(configure);
BENCHMARK_TEMPLATE(BM_PopDue1M, SetBaseline)->Name("BM_PopDue1M_Baseline")->Apply(configure);
BENCHMARK_TEMPLATE(BM_FireAndReschedule1M, FireQueue)->Name("BM_FireAndReschedule1M")->Apply(configure);
BENCHMARK_TEMPLATE(BM_FireAndReschedule1M, SetBaseline)
    ->Name("BM_FireAndReschedule1M_Baseline")
    ->Apply(configure);
BENCHMARK(BM_FireInPlace1M)->Apply(configure);

// Console output as usual, then "FireQueue time / baseline time" per pair
// of medians, so one run answers "is it still faster, and by how much".
class RatioReporter : public benchmark::ConsoleReporter {
public:
    // Colour only on a terminal, like the default reporter.
    RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) != 0 ? OO_ColorTabular : OO_Tabular) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
                // CPU time: the benchmarks are single-threaded, and on a busy
                // machine it is far steadier than wall time.
                median_cpu_ms_[run.run_name.function_name] = run.GetAdjustedCPUTime();
                const auto malloc_bytes = run.counters.find("malloc_bytes_per_job");
                if (malloc_bytes != run.counters.end()) {
                    bytes_per_job_[run.run_name.function_name] = malloc_bytes->second.value;
                }
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }

    void Finalize() override {
        ConsoleReporter::Finalize();
        std::printf("\nMedian CPU time per iteration, FireQueue / std::set baseline (lower is better):\n");
        for (const auto& [name, ms] : median_cpu_ms_) {
            const auto baseline = median_cpu_ms_.find(name + kBaselineSuffix);
            if (baseline != median_cpu_ms_.end() && baseline->second > 0) {
                std::printf("  %-28s %9.4g ms vs %9.4g ms  ratio %.2f\n", name.c_str(), ms, baseline->second,
                            ms / baseline->second);
            }
        }
        for (const auto& [name, bytes] : bytes_per_job_) {
            const auto baseline = bytes_per_job_.find(name + kBaselineSuffix);
            if (baseline != bytes_per_job_.end() && baseline->second > 0) {
                std::printf("Malloc bytes per job at 1M: %.1f vs %.1f  ratio %.2f\n", bytes, baseline->second,
                            bytes / baseline->second);
            }
        }
    }

private:
    std::map<std::string, double> median_cpu_ms_;
    std::map<std::string, double> bytes_per_job_;
};

}  // namespace
}  // namespace pg_jobs

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    pg_jobs::RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
