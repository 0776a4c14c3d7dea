// Layout of the run details segment: a header, then the five strings with
// their terminating NULs, one after the other.
#include "pg/worker/run_details.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

constexpr uint32 kMagic = 0x706a6472;  // "pjdr"
constexpr int kStrings = 5;

struct Header {
    uint32 magic;
    int encoding;
    int64 execution_id;
    int64 timeout_ms;        // the job's timeout; -1: none set
    bool has_run_if;         // opts: the fifth string is the job's run_if
    Size lengths[kStrings];  // without the NUL
};

}  // namespace

dsm_segment* create_run_details(const ClaimedRun& run) {
    const char* strings[kStrings] = {run.job_name, run.owner, run.command, run.context_json, run.run_if};
    Header header{};
    header.magic = kMagic;
    header.encoding = GetDatabaseEncoding();
    header.execution_id = run.execution_id;
    header.timeout_ms = run.timeout_ms;
    header.has_run_if = run.run_if != nullptr;
    Size size = sizeof(Header);
    for (int i = 0; i < kStrings; ++i) {
        header.lengths[i] = strings[i] == nullptr ? 0 : strlen(strings[i]);
        size = add_size(size, header.lengths[i] + 1);
    }
    dsm_segment* segment = dsm_create(size, 0);
    dsm_pin_mapping(segment);  // outlives the transaction; released by dsm_detach
    char* at = static_cast<char*>(dsm_segment_address(segment));
    memcpy(at, &header, sizeof(header));
    at += sizeof(header);
    for (int i = 0; i < kStrings; ++i) {
        if (header.lengths[i] > 0) {
            memcpy(at, strings[i], header.lengths[i]);
        }
        at[header.lengths[i]] = '\0';
        at += header.lengths[i] + 1;
    }
    return segment;
}

bool read_run_details(dsm_handle handle, int64 execution_id, MemoryContext into, ClaimedRun* out,
                      int* encoding) {
    dsm_segment* segment = dsm_attach(handle);
    if (segment == nullptr) {
        return false;
    }
    const char* at = static_cast<const char*>(dsm_segment_address(segment));
    Header header{};
    const Size mapped = dsm_segment_map_length(segment);
    bool usable = mapped >= sizeof(Header);
    if (usable) {
        memcpy(&header, at, sizeof(header));
        usable = header.magic == kMagic && header.execution_id == execution_id;
        Size needed = sizeof(Header);
        for (int i = 0; usable && i < kStrings; ++i) {
            needed += header.lengths[i] + 1;
            usable = needed <= mapped;
        }
    }
    if (usable) {
        at += sizeof(header);
        const char* copies[kStrings] = {};
        for (int i = 0; i < kStrings; ++i) {
            copies[i] = MemoryContextStrdup(into, at);
            at += header.lengths[i] + 1;
        }
        out->execution_id = execution_id;
        out->job_name = copies[0];
        out->owner = copies[1];
        out->command = copies[2];
        out->context_json = copies[3];
        out->timeout_ms = header.timeout_ms;
        out->run_if = header.has_run_if ? copies[4] : nullptr;
        *encoding = header.encoding;
    }
    dsm_detach(segment);
    return usable;
}

}  // namespace pg_jobs::pg
