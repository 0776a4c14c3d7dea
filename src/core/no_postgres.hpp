// Included first by every src/core header: core code must build without
// PostgreSQL, so a PostgreSQL header that sneaks in is a compile error.
#pragma once

#if defined(PG_VERSION_NUM) || defined(POSTGRES_H) || defined(PG_CONFIG_H)
#error "src/core must not include PostgreSQL headers; put glue code in src/pg/"
#endif
