#include "web/pg.hpp"

#include <algorithm>

#include "web/json.hpp"

namespace pg_jobs_web {

Param param(const std::string& value) {
    return Param{false, value};
}
Param null_param() {
    return Param{true, ""};
}

std::string error_json(PGconn* conn, const PGresult* result) {
    auto field = [result](int code) -> std::string {
        const char* value = result == nullptr ? nullptr : PQresultErrorField(result, code);
        return value == nullptr ? std::string() : std::string(value);
    };
    std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
    if (message.empty()) {
        const char* text = conn == nullptr ? nullptr : PQerrorMessage(conn);
        message = text == nullptr || *text == '\0' ? "the database server did not answer" : text;
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
    }
    std::string body = "{\"error\":" + json_string(message);
    const std::string sqlstate = field(PG_DIAG_SQLSTATE);
    if (!sqlstate.empty()) {
        body += ",\"sqlstate\":" + json_string(sqlstate);
    }
    const std::string detail = field(PG_DIAG_MESSAGE_DETAIL);
    if (!detail.empty()) {
        body += ",\"detail\":" + json_string(detail);
    }
    const std::string hint = field(PG_DIAG_MESSAGE_HINT);
    if (!hint.empty()) {
        body += ",\"hint\":" + json_string(hint);
    }
    body += "}";
    return body;
}

Answer query_json(PGconn* conn, const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values(params.size());
    std::transform(params.begin(), params.end(), values.begin(),
                   [](const Param& p) { return p.null ? nullptr : p.value.c_str(); });
    Result result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0));
    Answer answer;
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        answer.ok = true;
        answer.body =
            PQntuples(result.get()) > 0 && PQnfields(result.get()) > 0 && !PQgetisnull(result.get(), 0, 0)
                ? std::string(PQgetvalue(result.get(), 0, 0))
                : std::string("null");
        return answer;
    }
    answer.body = error_json(conn, result.get());
    const char* sqlstate = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    const std::string state = sqlstate == nullptr ? "" : sqlstate;
    if (PQstatus(conn) != CONNECTION_OK) {
        answer.http_status = 503;
    } else if (state == "42501" || state == "25006") {
        answer.http_status = 403;  // not allowed, or a read-only transaction
    } else if (state == "42704" || state == "P0002") {
        answer.http_status = 404;
    } else {
        answer.http_status = 400;
    }
    return answer;
}

Conn connect_as(const std::string& conninfo, const std::string& role, const std::string& password,
                bool read_only, std::string* why) {
    const char* keywords[] = {"dbname",           "user",    "password",        "passfile",
                              "application_name", "options", "connect_timeout", nullptr};
    // work_mem: the jobs page sorts every job the role sees to show one page.
    const char* options =
        read_only ? "-c default_transaction_read_only=on -c work_mem=32MB" : "-c work_mem=32MB";
    const char* values[] = {conninfo.c_str(), role.c_str(), password.c_str(), "/dev/null", "pg_jobs_web",
                            options,          "10",         nullptr};
    Conn conn(PQconnectdbParams(keywords, values, 1));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        *why = "the server refused the role or the password";
        return nullptr;
    }
    // A server that let the role in without its password (trust, peer)
    // would let anyone sign in as anyone: refuse.
    if (PQconnectionUsedPassword(conn.get()) == 0) {
        *why =
            "the server let the role in without asking for its password (trust or peer in pg_hba.conf): "
            "refused; use password authentication (scram-sha-256) for the dashboard's connections";
        return nullptr;
    }
    return conn;
}

Conn connect_plain(const std::string& conninfo) {
    const char* keywords[] = {"dbname", "application_name", "connect_timeout", nullptr};
    const char* values[] = {conninfo.c_str(), "pg_jobs_web live", "10", nullptr};
    Conn conn(PQconnectdbParams(keywords, values, 1));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        return nullptr;
    }
    return conn;
}

}  // namespace pg_jobs_web
