// FireQueue: indexed 4-ary min-heap plus a linear-probing position table.
#include "core/fire_queue.hpp"

#include <algorithm>
#include <utility>

namespace pg_jobs {

namespace {

constexpr size_t kArity = 4;  // shallower than binary: fewer cache misses per sift
constexpr size_t kMinTableSlots = 16;

// Smallest power of two >= `slots` (and >= kMinTableSlots).
size_t round_up_to_power_of_two(size_t slots) {
    size_t size = kMinTableSlots;
    while (size < slots) {
        size *= 2;
    }
    return size;
}

// Table slots needed to keep `jobs` entries at most 3/4 full: linear
// probing slows down sharply beyond that.
size_t table_slots_for(size_t jobs) {
    return round_up_to_power_of_two(jobs + jobs / 3 + 1);
}

int log2_of_power_of_two(size_t size) {
    int bits = 0;
    while ((size_t{1} << bits) < size) {
        ++bits;
    }
    return bits;
}

}  // namespace

size_t FireQueue::home_slot(int64_t job_id) const {
    // Job ids are mostly consecutive; fold the high half in, then take the
    // top bits of a Fibonacci multiply so neighbours land far apart.
    uint64_t x = static_cast<uint64_t>(job_id);
    x ^= x >> 32;
    x *= UINT64_C(0x9E3779B97F4A7C15);
    return static_cast<size_t>(x >> table_shift_);
}

size_t FireQueue::find_slot(int64_t job_id) const {
    const size_t mask = table_.size() - 1;
    size_t slot = home_slot(job_id);
    while (table_[slot] != kEmptySlot && heap_[table_[slot]].job_id != job_id) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

void FireQueue::grow_table(size_t min_slots) {
    // Allocate before touching anything, so running out of memory leaves
    // the queue as it was.
    std::vector<Position> fresh(round_up_to_power_of_two(min_slots), kEmptySlot);
    table_.swap(fresh);
    table_shift_ = 64 - log2_of_power_of_two(table_.size());
    for (size_t pos = 0; pos < heap_.size(); ++pos) {
        const size_t slot = find_slot(heap_[pos].job_id);
        table_[slot] = static_cast<Position>(pos);
        heap_slot_[pos] = static_cast<Position>(slot);
    }
}

void FireQueue::erase_slot(size_t slot) {
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole when the hole lies on their probe path, so no tombstones build
    // up as jobs come and go.
    const size_t mask = table_.size() - 1;
    size_t hole = slot;
    for (size_t next = (hole + 1) & mask; table_[next] != kEmptySlot; next = (next + 1) & mask) {
        const size_t home = home_slot(heap_[table_[next]].job_id);
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            table_[hole] = table_[next];
            heap_slot_[table_[hole]] = static_cast<Position>(hole);
            hole = next;
        }
    }
    table_[hole] = kEmptySlot;
}

void FireQueue::place(size_t pos, const Entry& entry, Position slot) {
    heap_[pos] = entry;
    heap_slot_[pos] = slot;
    table_[slot] = static_cast<Position>(pos);
}

void FireQueue::sift_up(size_t pos) {
    const Entry entry = heap_[pos];
    const Position slot = heap_slot_[pos];
    while (pos > 0) {
        const size_t parent = (pos - 1) / kArity;
        if (!earlier(entry, heap_[parent])) {
            break;
        }
        place(pos, heap_[parent], heap_slot_[parent]);
        pos = parent;
    }
    place(pos, entry, slot);
}

void FireQueue::sift_down(size_t pos) {
    const Entry entry = heap_[pos];
    const Position slot = heap_slot_[pos];
    const size_t count = heap_.size();
    for (;;) {
        const size_t first_child = pos * kArity + 1;
        if (first_child >= count) {
            break;
        }
        size_t best = first_child;
        const size_t end = std::min(first_child + kArity, count);
        for (size_t child = first_child + 1; child < end; ++child) {
            if (earlier(heap_[child], heap_[best])) {
                best = child;
            }
        }
        if (!earlier(heap_[best], entry)) {
            break;
        }
        place(pos, heap_[best], heap_slot_[best]);
        pos = best;
    }
    place(pos, entry, slot);
}

void FireQueue::remove_at(size_t pos) {
    erase_slot(heap_slot_[pos]);
    const size_t last = heap_.size() - 1;
    if (pos == last) {
        heap_.pop_back();
        heap_slot_.pop_back();
        return;
    }
    // Fill the gap with the last entry, then restore heap order around it.
    const Entry moved = heap_[last];
    const Position moved_slot = heap_slot_[last];
    heap_.pop_back();
    heap_slot_.pop_back();
    place(pos, moved, moved_slot);
    if (pos > 0 && earlier(moved, heap_[(pos - 1) / kArity])) {
        sift_up(pos);
    } else {
        sift_down(pos);
    }
}

bool FireQueue::upsert(int64_t job_id, Timestamp fire_time) {
    if (!table_.empty()) {
        const size_t slot = find_slot(job_id);
        if (table_[slot] != kEmptySlot) {
            const size_t pos = table_[slot];
            const Entry old = heap_[pos];
            heap_[pos].fire_time = fire_time;
            if (earlier(heap_[pos], old)) {
                sift_up(pos);
            } else {
                sift_down(pos);
            }
            return true;
        }
    }
    if (heap_.size() >= kMaxJobs) {
        return false;
    }
    // Grow everything before changing anything, so a failed allocation
    // leaves the queue consistent.
    if ((heap_.size() + 1) * 4 > table_.size() * 3) {
        grow_table(std::max(kMinTableSlots, table_.size() * 2));
    }
    if (heap_.size() == heap_.capacity()) {
        const size_t capacity = std::min(kMaxJobs, std::max(kMinTableSlots, heap_.size() * 2));
        heap_.reserve(capacity);
        heap_slot_.reserve(capacity);
    }
    const size_t slot = find_slot(job_id);
    const size_t pos = heap_.size();
    heap_.push_back({fire_time, job_id});
    heap_slot_.push_back(static_cast<Position>(slot));
    table_[slot] = static_cast<Position>(pos);
    sift_up(pos);
    return true;
}

bool FireQueue::remove(int64_t job_id) {
    if (table_.empty()) {
        return false;
    }
    const size_t slot = find_slot(job_id);
    if (table_[slot] == kEmptySlot) {
        return false;
    }
    remove_at(table_[slot]);
    return true;
}

std::optional<FireQueue::Entry> FireQueue::peek() const {
    if (heap_.empty()) {
        return std::nullopt;
    }
    return heap_.front();
}

std::optional<Timestamp> FireQueue::fire_time_of(int64_t job_id) const {
    if (table_.empty()) {
        return std::nullopt;
    }
    const size_t slot = find_slot(job_id);
    if (table_[slot] == kEmptySlot) {
        return std::nullopt;
    }
    return heap_[table_[slot]].fire_time;
}

size_t FireQueue::peek_between(Timestamp after, Timestamp horizon, size_t max_jobs,
                               std::vector<Entry>& out) const {
    // Depth first from the root: a heap entry past the horizon has only
    // later entries below it.
    size_t found = 0;
    std::vector<size_t> pending;
    if (!heap_.empty()) {
        pending.push_back(0);
    }
    while (!pending.empty() && found < max_jobs) {
        const size_t pos = pending.back();
        pending.pop_back();
        const Entry& entry = heap_[pos];
        if (entry.fire_time > horizon) {
            continue;
        }
        if (entry.fire_time > after) {
            out.push_back(entry);
            ++found;
        }
        const size_t first_child = pos * kArity + 1;
        const size_t end = std::min(first_child + kArity, heap_.size());
        for (size_t child = first_child; child < end; ++child) {
            pending.push_back(child);
        }
    }
    return found;
}

size_t FireQueue::pop_due(Timestamp now, size_t max_jobs, std::vector<int64_t>& out) {
    size_t popped = 0;
    while (popped < max_jobs && !heap_.empty() && heap_.front().fire_time <= now) {
        out.push_back(heap_.front().job_id);
        remove_at(0);
        ++popped;
    }
    return popped;
}

void FireQueue::reserve(size_t jobs) {
    jobs = std::min(jobs, kMaxJobs);
    const size_t slots = table_slots_for(jobs);
    if (slots > table_.size()) {
        grow_table(slots);
    }
    heap_.reserve(jobs);
    heap_slot_.reserve(jobs);
}

void FireQueue::clear() {
    std::vector<Entry>().swap(heap_);
    std::vector<Position>().swap(heap_slot_);
    std::vector<Position>().swap(table_);
    table_shift_ = 64;
}

size_t FireQueue::memory_bytes() const {
    return sizeof(*this) + heap_.capacity() * sizeof(Entry) + heap_slot_.capacity() * sizeof(Position) +
           table_.capacity() * sizeof(Position);
}

}  // namespace pg_jobs
