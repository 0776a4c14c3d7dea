// The launcher's in-memory agenda: every enabled job's next fire time, kept
// so the earliest is found in O(1) and a job's time changes in O(log n).
//
// An indexed 4-ary min-heap of (fire time, job id) plus an open-addressing
// hash table job id -> heap position. The table stores only a 32-bit heap
// position per slot (the key is read back from the heap), and the heap keeps
// each entry's table slot in a parallel array, so moving an entry never needs
// a hash lookup. About 30 bytes per job at 1,000,000 jobs, against ~108 for
// std::set plus std::unordered_map. Capacity only grows until clear().
#pragma once
#include "core/no_postgres.hpp"
#include "core/time_units.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace pg_jobs {

class FireQueue {
public:
    struct Entry {
        Timestamp fire_time;
        int64_t job_id;
    };

    // Positions are 32-bit and the table doubles past 3/4 full, so this
    // keeps every table size and heap position representable.
    static constexpr size_t kMaxJobs = size_t{1} << 30;

    FireQueue() = default;

    // Sets `job_id` to fire at `fire_time`, replacing any earlier entry for
    // it. Returns false (and changes nothing) only when the queue already
    // holds kMaxJobs other jobs.
    bool upsert(int64_t job_id, Timestamp fire_time);

    // Drops the job's entry; returns whether it had one.
    bool remove(int64_t job_id);

    // The earliest entry (ties: smallest job id), if any.
    std::optional<Entry> peek() const;

    // The fire time currently stored for `job_id`, if any.
    std::optional<Timestamp> fire_time_of(int64_t job_id) const;

    // Appends up to `max_jobs` entries whose fire time is in (`after`,
    // `horizon`], in no particular order, leaving them queued; returns how
    // many. Visits only the entries up to `horizon` (and their children):
    // O(k) for k such entries, however many jobs the queue holds.
    size_t peek_between(Timestamp after, Timestamp horizon, size_t max_jobs, std::vector<Entry>& out) const;

    // Removes up to `max_jobs` entries whose fire time is <= `now`, earliest
    // first (ties by job id), appending their job ids to `out`. Returns how
    // many were removed.
    size_t pop_due(Timestamp now, size_t max_jobs, std::vector<int64_t>& out);

    size_t size() const { return heap_.size(); }
    bool empty() const { return heap_.empty(); }

    // Makes room for `jobs` entries up front, so loading them all does not
    // rehash repeatedly. Requests above kMaxJobs are capped.
    void reserve(size_t jobs);

    // Removes every entry and gives the memory back: the launcher rebuilds
    // the queue on reload and must not hold a past peak forever.
    void clear();

    // Bytes held by the queue, counting allocated (not just used) capacity.
    size_t memory_bytes() const;

private:
    using Position = uint32_t;
    static constexpr Position kEmptySlot = UINT32_MAX;

    static bool earlier(const Entry& a, const Entry& b) {
        return a.fire_time < b.fire_time || (a.fire_time == b.fire_time && a.job_id < b.job_id);
    }

    size_t home_slot(int64_t job_id) const;
    // The table slot holding `job_id`, or the empty slot where it would go.
    size_t find_slot(int64_t job_id) const;
    void grow_table(size_t min_slots);
    void erase_slot(size_t slot);

    // Stores `entry` (whose table slot is `slot`) at heap position `pos`.
    void place(size_t pos, const Entry& entry, Position slot);
    void sift_up(size_t pos);
    void sift_down(size_t pos);
    // Removes the heap entry at `pos`, keeping the heap and table consistent.
    void remove_at(size_t pos);

    std::vector<Entry> heap_;
    std::vector<Position> heap_slot_;  // heap_slot_[i]: table slot of heap_[i]
    std::vector<Position> table_;      // heap position, or kEmptySlot
    int table_shift_ = 64;             // 64 - log2(table size), for hashing
};

}  // namespace pg_jobs
