// The HTTP engine alone (no PostgreSQL): N requests queued at once against
// one URL on loopback, at most C in flight; completed requests per second,
// time to the last completion, connections opened. Prints every run and the
// median. Exits non-zero if any request does not succeed (2xx).
//
//   http_engine_bench --url http://127.0.0.1:PORT/ [--requests 10000]
//                     [--concurrency 256] [--runs 5]
//
// test/bench/http_engine_bench.sh runs it against nginx, with wrk against
// the same URL as the ceiling.
#include "http/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using pg_jobs::http::Engine;
using pg_jobs::http::EngineOptions;
using pg_jobs::http::ErrorKind;
using pg_jobs::http::Request;
using pg_jobs::http::Result;

struct Options {
    std::string url;
    int requests = 10000;
    int concurrency = 256;
    int runs = 5;
};

struct Run {
    double seconds = 0;
    int succeeded = 0;
    uint64_t connections = 0;
    size_t peak_in_flight = 0;
    std::string first_failure;
};

Run run_once(const Options& options) {
    EngineOptions engine_options;
    engine_options.max_concurrent = options.concurrency;
    engine_options.user_agent = "pg_jobs/bench";
    Engine engine(engine_options);
    Run run;
    const auto start = std::chrono::steady_clock::now();
    for (int id = 1; id <= options.requests; ++id) {
        Request request;
        request.id = id;
        request.url = options.url;
        request.timeout_ms = 60000;
        engine.submit(std::move(request));
    }
    while (!engine.idle()) {
        engine.run_until_idle(std::chrono::milliseconds(100));
        for (const Result& result : engine.take_results()) {
            if (result.error == ErrorKind::None && result.http_status >= 200 && result.http_status <= 299) {
                ++run.succeeded;
            } else if (run.first_failure.empty()) {
                run.first_failure =
                    "status " + std::to_string(result.http_status) + ": " + result.error_message;
            }
        }
        if (std::chrono::steady_clock::now() - start > std::chrono::minutes(5)) {
            run.first_failure = "gave up after 5 minutes";
            break;
        }
    }
    for (const Result& result : engine.take_results()) {
        run.succeeded += result.error == ErrorKind::None && result.http_status / 100 == 2 ? 1 : 0;
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.connections = engine.stats().connections_opened;
    run.peak_in_flight = engine.stats().peak_in_flight;
    return run;
}

bool parse(int argc, char** argv, Options* options) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        const char* value = argv[i + 1];
        if (name == "--url") {
            options->url = value;
        } else if (name == "--requests") {
            options->requests = std::atoi(value);
        } else if (name == "--concurrency") {
            options->concurrency = std::atoi(value);
        } else if (name == "--runs") {
            options->runs = std::atoi(value);
        } else {
            return false;
        }
    }
    return argc % 2 == 1 && !options->url.empty() && options->requests > 0 && options->concurrency > 0 &&
           options->runs > 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, &options)) {
        std::fprintf(stderr, "usage: %s --url URL [--requests N] [--concurrency C] [--runs R]\n", argv[0]);
        return 2;
    }
    std::printf("http_engine_bench: %d requests to %s, at most %d in flight, %d runs\n", options.requests,
                options.url.c_str(), options.concurrency, options.runs);
    std::vector<double> rates;
    bool all_ok = true;
    for (int i = 1; i <= options.runs; ++i) {
        const Run run = run_once(options);
        const double rate = run.succeeded / run.seconds;
        rates.push_back(rate);
        std::printf(
            "run %d: %d/%d succeeded in %.3f s = %.0f requests/s; %llu connections opened, peak %zu in "
            "flight\n",
            i, run.succeeded, options.requests, run.seconds, rate,
            static_cast<unsigned long long>(run.connections), run.peak_in_flight);
        if (run.succeeded != options.requests) {
            std::printf("run %d: first failure: %s\n", i, run.first_failure.c_str());
            all_ok = false;
        }
    }
    std::sort(rates.begin(), rates.end());
    std::printf("engine_median_requests_per_second %.0f\n", rates[rates.size() / 2]);
    return all_ok ? 0 : 1;
}
