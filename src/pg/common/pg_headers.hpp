// The one way src/pg includes PostgreSQL: C linkage for its headers, and
// entry points exported although the module is built with hidden visibility.
// Include src/core headers before this one (core/no_postgres.hpp refuses to
// compile once PostgreSQL's headers are in); further PostgreSQL headers go in
// an extern "C" block after it.
#pragma once

// PostgreSQL 15 leaves PGDLLEXPORT empty on ELF platforms, but the Makefile
// builds with -fvisibility=hidden; without this the server could not find
// PG_MODULE_MAGIC, _PG_init or the SQL-callable functions.
#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

// Some PostgreSQL 15 inline functions (spinlocks, atomics) use the `register`
// keyword, which C++17 removed; tolerate it for the headers' sake.
#pragma GCC diagnostic ignored "-Wregister"

extern "C" {
#include "postgres.h"

#include "fmgr.h"
}

// Declares an SQL-callable V1 function with C linkage, visible to dlsym.
// PG_FUNCTION_INFO_V1 alone does not export the function itself in PG 15.
#define PG_JOBS_SQL_FUNCTION(name)                       \
    extern "C" PGDLLEXPORT Datum name(PG_FUNCTION_ARGS); \
    extern "C" {                                         \
    PG_FUNCTION_INFO_V1(name);                           \
    }                                                    \
    static_assert(true, "require a semicolon after the macro")
