// interval_in behind the core's IntervalParser callback.
#include "pg/common/pg_interval.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {

bool parse_pg_interval(std::string_view text, cron::IntervalValue* out, std::string* error) {
    try {
        const Interval* interval = call_pg([&] {
            char* input = pnstrdup(text.data(), text.size());
            const Datum value = DirectFunctionCall3(interval_in, CStringGetDatum(input),
                                                    ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
            pfree(input);
            return DatumGetIntervalP(value);  // NOLINT(performance-no-int-to-ptr): a Datum holds the pointer
        });
        out->months = interval->month;
        out->days = interval->day;
        out->micros = interval->time;
        return true;
    } catch (const PgError& failure) {  // interval_in is a pure input function: no rollback (guard.hpp)
        // A data exception is the input's fault; anything else is rethrown.
        if (ERRCODE_TO_CATEGORY(failure.data()->sqlerrcode) != ERRCODE_DATA_EXCEPTION) {
            throw;
        }
        *error = failure.what();
        FreeErrorData(failure.data());
        return false;
    }
}

}  // namespace pg_jobs::pg
