// FireQueue: ordering, ties, upserts, removal, pop_due limits, memory, and a
// randomized comparison against a std::multimap model.
#include "core/fire_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

namespace pg_jobs {
namespace {

constexpr Timestamp kForever = std::numeric_limits<Timestamp>::max();

// Pops everything, in queue order.
std::vector<int64_t> drain(FireQueue& queue) {
    std::vector<int64_t> out;
    queue.pop_due(kForever, queue.size(), out);
    return out;
}

TEST(FireQueue, EmptyQueueHasNothingToGive) {
    FireQueue queue;
    std::vector<int64_t> out;
    EXPECT_EQ(queue.size(), 0u);
    EXPECT_TRUE(queue.empty());
    EXPECT_FALSE(queue.peek().has_value());
    EXPECT_FALSE(queue.fire_time_of(1).has_value());
    EXPECT_FALSE(queue.remove(1));
    EXPECT_EQ(queue.pop_due(kForever, 10, out), 0u);
    EXPECT_TRUE(out.empty());
    EXPECT_GT(queue.memory_bytes(), 0u);
}

TEST(FireQueue, PopsInFireTimeOrder) {
    FireQueue queue;
    const std::vector<std::pair<int64_t, Timestamp>> jobs = {{1, 500}, {2, 100}, {3, 400}, {4, 200},
                                                             {5, 300}, {6, -50}, {7, 1000}};
    for (const auto& [job, at] : jobs) {
        EXPECT_TRUE(queue.upsert(job, at));
    }
    EXPECT_EQ(queue.size(), jobs.size());
    ASSERT_TRUE(queue.peek().has_value());
    EXPECT_EQ(queue.peek()->job_id, 6);
    EXPECT_EQ(queue.peek()->fire_time, -50);
    EXPECT_EQ(drain(queue), (std::vector<int64_t>{6, 2, 4, 5, 3, 1, 7}));
    EXPECT_TRUE(queue.empty());
}

TEST(FireQueue, TiesGoToTheSmallerJobId) {
    FireQueue queue;
    for (int64_t job : {42, 7, -3, 19, 8, 100, 0}) {
        queue.upsert(job, 1000);
    }
    queue.upsert(5, 999);
    EXPECT_EQ(drain(queue), (std::vector<int64_t>{5, -3, 0, 7, 8, 19, 42, 100}));
}

TEST(FireQueue, UpsertReplacesTheJobsEntry) {
    FireQueue queue;
    for (int64_t job = 1; job <= 10; ++job) {
        queue.upsert(job, job * 100);
    }
    // Move one job to the front, one to the back, one in the middle, and
    // one to exactly the time it already had.
    queue.upsert(7, 50);
    queue.upsert(1, 5000);
    queue.upsert(3, 650);
    queue.upsert(5, 500);
    EXPECT_EQ(queue.size(), 10u);
    EXPECT_EQ(queue.fire_time_of(7), 50);
    EXPECT_EQ(queue.fire_time_of(1), 5000);
    EXPECT_EQ(queue.fire_time_of(3), 650);
    EXPECT_EQ(drain(queue), (std::vector<int64_t>{7, 2, 4, 5, 6, 3, 8, 9, 10, 1}));
}

TEST(FireQueue, RemoveDropsOnlyThatJob) {
    FireQueue queue;
    for (int64_t job = 1; job <= 20; ++job) {
        queue.upsert(job, (job * 7) % 20);
    }
    EXPECT_TRUE(queue.remove(queue.peek()->job_id));  // the top
    EXPECT_TRUE(queue.remove(13));                    // somewhere inside
    EXPECT_TRUE(queue.remove(19));
    EXPECT_FALSE(queue.remove(13));  // already gone
    EXPECT_FALSE(queue.remove(99));  // never there
    EXPECT_EQ(queue.size(), 17u);
    EXPECT_FALSE(queue.fire_time_of(13).has_value());

    std::vector<int64_t> expected;
    for (int64_t job = 1; job <= 20; ++job) {
        if (job != 20 && job != 13 && job != 19) {  // job 20 fired at 0: the top
            expected.push_back(job);
        }
    }
    std::sort(expected.begin(), expected.end(),
              [](int64_t a, int64_t b) { return (a * 7) % 20 < (b * 7) % 20; });
    EXPECT_EQ(drain(queue), expected);
}

TEST(FireQueue, RemoveThenReinsert) {
    FireQueue queue;
    queue.upsert(1, 10);
    EXPECT_TRUE(queue.remove(1));
    EXPECT_TRUE(queue.empty());
    queue.upsert(1, 20);
    EXPECT_EQ(queue.fire_time_of(1), 20);
    EXPECT_EQ(queue.size(), 1u);
}

TEST(FireQueue, PopDueTakesOnlyDueJobsUpToTheLimit) {
    FireQueue queue;
    for (int64_t job = 1; job <= 6; ++job) {
        queue.upsert(job, job * 10);  // 10, 20, ... 60
    }
    std::vector<int64_t> out = {-1};             // pop_due appends, never clears
    EXPECT_EQ(queue.pop_due(9, 100, out), 0u);   // nothing due yet
    EXPECT_EQ(queue.pop_due(40, 0, out), 0u);    // a limit of zero
    EXPECT_EQ(queue.pop_due(40, 2, out), 2u);    // limited
    EXPECT_EQ(queue.pop_due(40, 100, out), 2u);  // due includes time == now
    EXPECT_EQ(queue.pop_due(45, 100, out), 0u);  // 50 is not due at 45
    EXPECT_EQ(out, (std::vector<int64_t>{-1, 1, 2, 3, 4}));
    EXPECT_EQ(queue.size(), 2u);
    EXPECT_EQ(queue.peek()->job_id, 5);
}

TEST(FireQueue, PeekBetweenFindsTheEntriesInTheWindowAndLeavesThemQueued) {
    FireQueue queue;
    std::mt19937_64 rng(11);
    std::vector<FireQueue::Entry> all;
    for (int64_t job = 1; job <= 2000; ++job) {
        const Timestamp at = static_cast<Timestamp>(rng() % 1000);
        queue.upsert(job, at);
        all.push_back({at, job});
    }
    auto sorted_ids = [](std::vector<FireQueue::Entry> entries) {
        std::vector<int64_t> ids;
        for (const auto& entry : entries) {
            ids.push_back(entry.job_id);
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    for (const auto& [after, horizon] : std::vector<std::pair<Timestamp, Timestamp>>{
             {-1, 0}, {-1, 99}, {100, 250}, {998, 2000}, {500, 500}, {2000, 3000}}) {
        std::vector<FireQueue::Entry> expected;
        for (const auto& entry : all) {
            if (entry.fire_time > after && entry.fire_time <= horizon) {
                expected.push_back(entry);
            }
        }
        std::vector<FireQueue::Entry> found;
        EXPECT_EQ(queue.peek_between(after, horizon, 100000, found), expected.size());
        EXPECT_EQ(sorted_ids(found), sorted_ids(expected)) << "(" << after << ", " << horizon << "]";
    }
    std::vector<FireQueue::Entry> limited;
    EXPECT_EQ(queue.peek_between(-1, 1000, 7, limited), 7u);
    for (const auto& entry : limited) {
        EXPECT_EQ(queue.fire_time_of(entry.job_id), entry.fire_time);
    }
    EXPECT_EQ(queue.size(), 2000u);  // nothing taken
    std::vector<FireQueue::Entry> none;
    EXPECT_EQ(FireQueue().peek_between(-1, 1000, 10, none), 0u);
}

TEST(FireQueue, ExtremeTimesAndIds) {
    FireQueue queue;
    const int64_t min_id = std::numeric_limits<int64_t>::min();
    const int64_t max_id = std::numeric_limits<int64_t>::max();
    queue.upsert(max_id, kForever);
    queue.upsert(min_id, std::numeric_limits<Timestamp>::min());
    queue.upsert(0, 0);
    queue.upsert(-1, kForever);
    EXPECT_EQ(drain(queue), (std::vector<int64_t>{min_id, 0, -1, max_id}));
}

TEST(FireQueue, IdsDifferingOnlyInHighBitsStayDistinct) {
    // Ids that share their low 32 bits would collide under a hash that
    // looked at those alone; also exercises long probe runs and removal.
    FireQueue queue;
    std::vector<int64_t> ids;
    for (int64_t i = 1; i <= 3000; ++i) {
        ids.push_back(i << 40);
        ids.push_back(-(i << 33));
    }
    for (size_t i = 0; i < ids.size(); ++i) {
        queue.upsert(ids[i], static_cast<Timestamp>(i));
    }
    std::mt19937_64 rng(7);
    std::shuffle(ids.begin(), ids.end(), rng);
    for (size_t i = 0; i < ids.size(); i += 2) {
        EXPECT_TRUE(queue.remove(ids[i]));
    }
    for (size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(queue.fire_time_of(ids[i]).has_value(), i % 2 == 1) << ids[i];
    }
    EXPECT_EQ(queue.size(), ids.size() / 2);
}

TEST(FireQueue, ClearForgetsJobsAndReturnsMemory) {
    FireQueue queue;
    const size_t empty_bytes = queue.memory_bytes();
    for (int64_t job = 0; job < 1000; ++job) {
        queue.upsert(job, job);
    }
    EXPECT_GT(queue.memory_bytes(), empty_bytes);
    queue.clear();
    EXPECT_TRUE(queue.empty());
    EXPECT_FALSE(queue.fire_time_of(5).has_value());
    EXPECT_EQ(queue.memory_bytes(), empty_bytes);
    queue.upsert(5, 1);  // still usable
    EXPECT_EQ(queue.peek()->job_id, 5);
}

TEST(FireQueue, ReserveAvoidsRegrowth) {
    FireQueue queue;
    queue.reserve(50000);
    const size_t reserved_bytes = queue.memory_bytes();
    for (int64_t job = 0; job < 50000; ++job) {
        queue.upsert(job, 50000 - job);
    }
    EXPECT_EQ(queue.memory_bytes(), reserved_bytes);
    EXPECT_EQ(queue.peek()->job_id, 49999);
}

TEST(FireQueue, StaysUnder40BytesPerJobAtOneMillion) {
    constexpr int64_t kJobs = 1000000;
    FireQueue queue;
    for (int64_t job = 1; job <= kJobs; ++job) {
        queue.upsert(job, (job * 7919) % 86400);
    }
    ASSERT_EQ(queue.size(), static_cast<size_t>(kJobs));
    EXPECT_LE(queue.memory_bytes(), static_cast<size_t>(40 * kJobs));
    EXPECT_EQ(queue.fire_time_of(kJobs), (kJobs * 7919) % 86400);
}

TEST(FireQueue, PopsWhatIsDueAsTimeMoves) {
    Timestamp now = 0;
    FireQueue queue;
    queue.upsert(1, 3 * kMicrosPerSecond);
    queue.upsert(2, 1 * kMicrosPerSecond);
    std::vector<int64_t> fired;
    queue.pop_due(now, 10, fired);
    EXPECT_TRUE(fired.empty());
    now += kMicrosPerSecond;
    queue.pop_due(now, 10, fired);
    EXPECT_EQ(fired, std::vector<int64_t>{2});
    now += 5 * kMicrosPerSecond;
    queue.pop_due(now, 10, fired);
    EXPECT_EQ(fired, (std::vector<int64_t>{2, 1}));
}

// The reference: a multimap time -> job id, plus each job's current time.
class Model {
public:
    void upsert(int64_t job, Timestamp at) {
        remove(job);
        by_time_.emplace(at, job);
        time_of_[job] = at;
    }

    bool remove(int64_t job) {
        const auto found = time_of_.find(job);
        if (found == time_of_.end()) {
            return false;
        }
        auto [first, last] = by_time_.equal_range(found->second);
        for (auto it = first; it != last; ++it) {
            if (it->second == job) {
                by_time_.erase(it);
                break;
            }
        }
        time_of_.erase(found);
        return true;
    }

    // Due jobs in (time, id) order: the multimap orders by time only, so
    // each group of equal times is sorted by id.
    std::vector<int64_t> pop_due(Timestamp now, size_t max_jobs) {
        std::vector<std::pair<Timestamp, int64_t>> due;
        for (auto it = by_time_.begin(); it != by_time_.end() && it->first <= now; ++it) {
            due.emplace_back(it->first, it->second);
        }
        std::sort(due.begin(), due.end());
        due.resize(std::min(due.size(), max_jobs));
        std::vector<int64_t> out;
        for (const auto& [at, job] : due) {
            out.push_back(job);
            remove(job);
        }
        return out;
    }

    std::optional<FireQueue::Entry> peek() const {
        if (by_time_.empty()) {
            return std::nullopt;
        }
        const Timestamp earliest = by_time_.begin()->first;
        int64_t job = by_time_.begin()->second;
        for (auto [it, last] = by_time_.equal_range(earliest); it != last; ++it) {
            job = std::min(job, it->second);
        }
        return FireQueue::Entry{earliest, job};
    }

    std::optional<Timestamp> fire_time_of(int64_t job) const {
        const auto found = time_of_.find(job);
        if (found == time_of_.end()) {
            return std::nullopt;
        }
        return found->second;
    }

    size_t size() const { return time_of_.size(); }

private:
    std::multimap<Timestamp, int64_t> by_time_;
    std::map<int64_t, Timestamp> time_of_;
};

TEST(FireQueue, MatchesAMultimapModelOver100kRandomOperations) {
    std::mt19937_64 rng(20260308);
    // Few distinct ids and times, so updates, removals and ties are common.
    std::uniform_int_distribution<int64_t> any_job(-200, 5000);
    std::uniform_int_distribution<Timestamp> any_tick(0, 2000);  // times are multiples of 10
    std::uniform_int_distribution<Timestamp> any_advance(0, 30);
    std::uniform_int_distribution<int> any_op(0, 99);
    std::uniform_int_distribution<size_t> any_limit(0, 40);

    Timestamp now = 0;
    FireQueue queue;
    Model model;
    size_t largest = 0;
    for (int step = 0; step < 100000; ++step) {
        const int op = any_op(rng);
        const int64_t job = any_job(rng);
        if (op < 55) {
            const Timestamp at = now + 10 * any_tick(rng) - 2000;
            ASSERT_TRUE(queue.upsert(job, at));
            model.upsert(job, at);
        } else if (op < 75) {
            ASSERT_EQ(queue.remove(job), model.remove(job)) << "step " << step;
        } else if (op < 90) {
            now += any_advance(rng);
            const size_t limit = any_limit(rng);
            std::vector<int64_t> got;
            const size_t popped = queue.pop_due(now, limit, got);
            ASSERT_EQ(popped, got.size());
            ASSERT_EQ(got, model.pop_due(now, limit)) << "step " << step;
        } else if (op < 91 && step % 256 == 0) {  // rare: lets the queue grow first
            queue.clear();
            model = Model();
        } else {
            ASSERT_EQ(queue.fire_time_of(job), model.fire_time_of(job)) << "step " << step;
        }
        ASSERT_EQ(queue.size(), model.size()) << "step " << step;
        largest = std::max(largest, queue.size());
        const auto got = queue.peek();
        const auto want = model.peek();
        ASSERT_EQ(got.has_value(), want.has_value()) << "step " << step;
        if (got) {
            ASSERT_EQ(got->fire_time, want->fire_time) << "step " << step;
            ASSERT_EQ(got->job_id, want->job_id) << "step " << step;
        }
    }
    EXPECT_GT(largest, 1000u);  // big enough to have grown the table several times
    EXPECT_EQ(drain(queue), model.pop_due(kForever, model.size()));
}

}  // namespace
}  // namespace pg_jobs
