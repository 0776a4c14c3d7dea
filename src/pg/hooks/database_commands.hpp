// Idle pool workers never block the commands that need a database to
// themselves: DROP DATABASE, ALTER DATABASE ... RENAME TO / SET TABLESPACE
// and CREATE DATABASE ... TEMPLATE x (the template may have no other
// connection). A ProcessUtility hook asks the idle SQL workers connected to
// that database to exit and waits (a few seconds at most) until they are
// gone, before the command runs; PostgreSQL then finds no other session
// there. A worker busy with a run blocks the command as any session would.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Installs the hook (chained after any installed before); from _PG_init only.
void install_database_command_hook();

}  // namespace pg_jobs::pg
