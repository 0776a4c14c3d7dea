// After a full load of a million jobs the launcher's resident set held two
// things it no longer needs:
//  - freed heap: the load's scratch vectors (tens of MB) go back to malloc,
//    which keeps them (glibc raises its mmap threshold after freeing a big
//    block, so the next ones come from the heap and stay). malloc_trim
//    hands the free pages back.
//  - shared buffers: reading the table maps every buffer page the scan
//    touched into this process (up to all of shared_buffers, counted in its
//    VmRSS as RssShmem), though it is the server's cache, resident anyway.
//    MADV_DONTNEED on a shared mapping only removes this process's
//    page-table entries: the pages and their contents stay in shared memory
//    for every other process, and a later access here maps them again
//    (documented in madvise(2) for shared anonymous and System V mappings,
//    PostgreSQL's two kinds on Linux). It is not MADV_REMOVE, which would
//    free the contents.
// Both only run after a full load (start, errors, bulk changes), never per
// change.
#include "pg/launcher/memory_release.hpp"

extern "C" {
#include "storage/bufmgr.h"
}

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#define PG_JOBS_CAN_RELEASE_MEMORY 1
#endif

#include <cerrno>
#include <cstdint>

namespace pg_jobs::pg {

void release_memory_after_load() {
#ifdef PG_JOBS_CAN_RELEASE_MEMORY
    (void)malloc_trim(0);

    // Whole pages inside the buffer pool only: its ends need not be page
    // aligned, and the neighbouring shared structures are left alone.
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto pool = reinterpret_cast<uintptr_t>(BufferBlocks);
    const uintptr_t start = (pool + page - 1) / page * page;
    const uintptr_t end = (pool + static_cast<uintptr_t>(NBuffers) * BLCKSZ) / page * page;
    // With huge pages the range may not be aligned to them: madvise refuses
    // (EINVAL) and nothing changes, which is fine.
    if (end > start && madvise(BufferBlocks + (start - pool), end - start, MADV_DONTNEED) != 0) {
        const int error = errno;
        ereport(DEBUG1, (errmsg("pg_jobs launcher: could not drop its mappings of shared buffers: %s",
                                strerror(error))));
    }
#endif
}

}  // namespace pg_jobs::pg
