// pg_jobs_web: libpq connections and queries that answer JSON text.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace pg_jobs_web {

struct ConnCloser {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

struct ResultClearer {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultClearer>;

// What a query answered: on success the first column of the first row
// (a JSON document); on failure the server's error as a JSON object
// {"error", "sqlstate", "detail", "hint", "position"} and an HTTP status.
struct Answer {
    bool ok = false;
    int http_status = 200;
    std::string body;
};

// Runs one statement with text parameters (an empty optional is NULL).
struct Param {
    bool null = false;
    std::string value;
};
Param param(const std::string& value);
Param null_param();

Answer query_json(PGconn* conn, const std::string& sql, const std::vector<Param>& params);

// The error of a failed result (or of the connection) as JSON.
std::string error_json(PGconn* conn, const PGresult* result);

// Connects as a signed-in user: the server's connection string with this
// role and password; no password file and no fallback to the environment.
// Returns nullptr unless the server asked for and accepted the password.
// *why (for the server's log, never shown to the user) says why not.
Conn connect_as(const std::string& conninfo, const std::string& role, const std::string& password,
                bool read_only, std::string* why);

// Connects with the connection string as given (the dashboard's own role).
Conn connect_plain(const std::string& conninfo);

}  // namespace pg_jobs_web
