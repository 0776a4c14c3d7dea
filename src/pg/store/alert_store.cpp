// alerts: the launcher's alert pass; see alert_store.hpp.
#include "pg/store/alert_store.hpp"

#include "pg/store/store_call.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {

bool run_alert_pass(int64 window_ms, TimestampTz* next) {
    Oid types[1] = {INT8OID};
    Datum values[1] = {Int64GetDatum(window_ms)};
    const int nest = begin_store_call();
    execute_stored("SELECT jobs_internal._alert_pass($1 * interval '1 millisecond')", 1, types, values, nullptr,
                   SPI_OK_SELECT);
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    if (!is_null) {
        *next = DatumGetTimestampTz(value);
    }
    end_store_call(nest);
    return !is_null;
}

}  // namespace pg_jobs::pg
