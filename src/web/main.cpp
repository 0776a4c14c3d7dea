// pg_jobs_web: the pg_jobs admin dashboard. An HTTP server (cpp-httplib)
// that serves a page and a JSON API; each signed-in user's requests run on
// libpq connections opened as that user's PostgreSQL role, so the user sees
// and may do exactly what PostgreSQL allows that role.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <regex>
#include <string>
#include <thread>

#include "web/json.hpp"
#include "web/live.hpp"
#include "web/options.hpp"
#include "web/pg.hpp"
#include "web/queries.hpp"
#include "web/sessions.hpp"
#include "web/stream_quota.hpp"

#ifndef PG_JOBS_WEB_ASSETS
#define PG_JOBS_WEB_ASSETS "src/web/assets"
#endif

namespace pg_jobs_web {
namespace {

const char* const cookie_name = "pg_jobs_web_session";

httplib::Server* running_server = nullptr;

void stop_on_signal(int /*signal*/) {
    if (running_server != nullptr) {
        running_server->stop();
    }
}

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body, "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    send_json(res, status, "{\"error\":" + json_string(message) + "}");
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
    const std::string cookies = req.get_header_value("Cookie");
    std::size_t at = 0;
    while (at < cookies.size()) {
        const auto end = cookies.find(';', at);
        std::string part = cookies.substr(at, end == std::string::npos ? std::string::npos : end - at);
        const auto start = part.find_first_not_of(' ');
        part = start == std::string::npos ? "" : part.substr(start);
        if (part.rfind(name + "=", 0) == 0) {
            return part.substr(name.size() + 1);
        }
        if (end == std::string::npos) {
            break;
        }
        at = end + 1;
    }
    return "";
}

// An optional request parameter: empty or missing is NULL.
Param optional(const httplib::Request& req, const char* name) {
    const std::string value = req.get_param_value(name);
    return value.empty() ? null_param() : param(value);
}

bool is_integer(const std::string& text) {
    static const std::regex integer("-?[0-9]{1,18}");
    return std::regex_match(text, integer);
}

int int_param(const httplib::Request& req, const char* name, int fallback, int low, int high) {
    const std::string value = req.get_param_value(name);
    if (!is_integer(value)) {
        return fallback;
    }
    const long long number = std::stoll(value);
    return static_cast<int>(std::max<long long>(low, std::min<long long>(high, number)));
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

class Dashboard {
public:
    explicit Dashboard(Options options)
        : options_(std::move(options)),
          sessions_(std::chrono::seconds(options_.session_idle_seconds),
                    static_cast<std::size_t>(options_.sessions_per_role)),
          live_(options_.servers, options_.poll_milliseconds),
          streams_(options_.streams_per_role, std::max(1, options_.threads / 4)) {}

    int run();

private:
    using Handler = std::function<void(Session&, const httplib::Request&, httplib::Response&)>;

    void routes(httplib::Server& server);
    void login(const httplib::Request& req, httplib::Response& res);
    void events(const httplib::Request& req, httplib::Response& res);
    void metrics(const httplib::Request& req, httplib::Response& res);
    // Runs the handler for a signed-in session; a change also needs the
    // session's CSRF token and a session that may write.
    void signed_in(const httplib::Request& req, httplib::Response& res, bool change, const Handler& handler);
    bool same_origin(const httplib::Request& req) const;
    // Runs one statement on one server (the "server" parameter) of the session.
    Answer on_server(Session& session, const std::string& server, const std::string& sql,
                     const std::vector<Param>& params);
    // Runs one statement on every server of the session (or the one asked
    // for): {"results":[{"server":..,"data":..}|{"server":..,"error":{..}}]}
    std::string on_servers(Session& session, const httplib::Request& req, const std::string& sql,
                           const std::vector<Param>& params);
    static void answer(httplib::Response& res, const Answer& result);

    Options options_;
    SessionStore sessions_;
    LiveHub live_;
    StreamQuota streams_;
};

bool Dashboard::same_origin(const httplib::Request& req) const {
    const std::string origin = req.get_header_value("Origin");
    if (origin.empty()) {
        return true;  // not sent by every browser for same-origin requests; the cookie is SameSite=Strict
    }
    const std::string host = req.get_header_value("Host");
    return origin == "http://" + host || origin == "https://" + host;
}

void Dashboard::answer(httplib::Response& res, const Answer& result) {
    if (result.ok && result.body == "null") {
        send_error(res, 404, "not found");
        return;
    }
    send_json(res, result.ok ? 200 : result.http_status, result.body);
}

Answer Dashboard::on_server(Session& session, const std::string& server, const std::string& sql,
                            const std::vector<Param>& params) {
    const auto it = session.connections.find(server);
    if (it == session.connections.end()) {
        return Answer{false, 404, "{\"error\":\"no such server for this session\"}"};
    }
    PGconn* conn = it->second.get();
    if (PQstatus(conn) != CONNECTION_OK) {
        PQreset(conn);
    }
    Answer result = query_json(conn, sql, params);
    if (!result.ok && PQstatus(conn) != CONNECTION_OK) {
        PQreset(conn);
        if (PQstatus(conn) == CONNECTION_OK) {
            result = query_json(conn, sql, params);
        }
    }
    return result;
}

std::string Dashboard::on_servers(Session& session, const httplib::Request& req, const std::string& sql,
                                  const std::vector<Param>& params) {
    const std::string only = req.get_param_value("server");
    std::string body = "{\"results\":[";
    bool first = true;
    for (const auto& server : options_.servers) {
        if (!only.empty() && server.name != only) {
            continue;
        }
        body += first ? "" : ",";
        first = false;
        body += "{\"server\":" + json_string(server.name) + ",";
        if (session.connections.count(server.name) == 0) {
            body += "\"error\":{\"error\":\"not signed in to this server\"}}";
            continue;
        }
        const Answer result = on_server(session, server.name, sql, params);
        body += (result.ok ? "\"data\":" : "\"error\":") + result.body + "}";
    }
    return body + "]}";
}

void Dashboard::signed_in(const httplib::Request& req, httplib::Response& res, bool change,
                          const Handler& handler) {
    const auto session = sessions_.find(cookie_value(req, cookie_name));
    if (!session) {
        send_error(res, 401, "sign in first (or again: the session ended)");
        return;
    }
    if (change) {
        if (!same_secret(req.get_header_value("X-CSRF-Token"), session->csrf_token) || !same_origin(req)) {
            send_error(res, 403, "refused: the request did not carry this session's CSRF token");
            return;
        }
        if (session->read_only || options_.read_only) {
            send_error(res, 403, "refused: this is a read-only session");
            return;
        }
    }
    const std::lock_guard<std::mutex> lock(session->mutex);
    handler(*session, req, res);
}

void Dashboard::login(const httplib::Request& req, httplib::Response& res) {
    if (!same_origin(req)) {
        send_error(res, 403, "refused: cross-origin sign-in");
        return;
    }
    const std::string role = req.get_param_value("role");
    std::string password = req.get_param_value("password");
    const bool read_only = options_.read_only || !req.get_param_value("read_only").empty();
    const std::string refused = "sign-in failed: wrong role or password";
    if (role.empty() || password.empty() || role.size() > 63 || password.size() > 1000) {
        send_error(res, 401, refused);
        return;
    }
    auto session = std::make_shared<Session>();
    for (const auto& server : options_.servers) {
        std::string why;
        Conn conn = connect_as(server.conninfo, role, password, read_only, &why);
        if (conn) {
            session->connections[server.name] = std::move(conn);
        } else {
            // Never the password, nor the role (a log reader could learn which names exist).
            std::cerr << "pg_jobs_web: sign-in from " << req.remote_addr << " refused by server "
                      << server.name << ": " << why << "\n";
        }
    }
    std::fill(password.begin(), password.end(), '\0');
    if (session->connections.empty()) {
        send_error(res, 401, refused);
        return;
    }
    session->role = role;
    session->read_only = read_only;
    session->csrf_token = random_token();
    const std::string id = sessions_.add(session);
    const bool tls = !options_.tls_cert.empty() || req.get_header_value("X-Forwarded-Proto") == "https";
    res.set_header("Set-Cookie", std::string(cookie_name) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" +
                                     (tls ? "; Secure" : ""));
    std::string servers = "[";
    for (const auto& [name, conn] : session->connections) {
        servers += (servers.size() > 1 ? "," : "") + json_string(name);
    }
    send_json(res, 200,
              "{\"role\":" + json_string(role) + ",\"csrf_token\":" + json_string(session->csrf_token) +
                  ",\"read_only\":" + (read_only ? "true" : "false") + ",\"servers\":" + servers + "]}");
}

void Dashboard::events(const httplib::Request& req, httplib::Response& res) {
    const auto session = sessions_.find(cookie_value(req, cookie_name));
    if (!session) {
        send_error(res, 401, "sign in first");
        return;
    }
    const std::string role = session->role;
    switch (streams_.take(role)) {
        case StreamQuota::Verdict::Granted:
            break;
        case StreamQuota::Verdict::RoleFull:
            send_error(res, 429,
                       "too many live streams for this role (" + std::to_string(streams_.per_role()) +
                           "): close other dashboard tabs, or reload this one later");
            return;
        case StreamQuota::Verdict::AllFull:
            send_error(res, 503,
                       "the dashboard has as many live streams open as it serves (" +
                           std::to_string(streams_.total()) + "): try again later");
            return;
    }
    auto subscriber = live_.subscribe();
    subscriber->push(live_.status_message());
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    const std::string cookie = cookie_value(req, cookie_name);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, subscriber, cookie](std::size_t /*offset*/, httplib::DataSink& sink) {
            const auto messages = subscriber->wait(std::chrono::seconds(5));
            if (!sessions_.alive(cookie)) {
                const std::string bye = "event: signed-out\ndata: {}\n\n";
                sink.write(bye.data(), bye.size());
                sink.done();
                return true;
            }
            std::string chunk;
            for (const auto& message : messages) {
                chunk += "data: " + message + "\n\n";
            }
            if (chunk.empty()) {
                chunk = ": still here\n\n";
            }
            return sink.write(chunk.data(), chunk.size());
        },
        [this, subscriber, role](bool /*success*/) {
            live_.unsubscribe(subscriber);
            streams_.release(role);
        });
}

void Dashboard::metrics(const httplib::Request& req, httplib::Response& res) {
    if (options_.metrics_token.empty()) {
        send_error(res, 404, "metrics are off: start pg_jobs_web with --metrics-token");
        return;
    }
    if (!same_secret(req.get_header_value("Authorization"), "Bearer " + options_.metrics_token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "a metrics token is needed");
        return;
    }
    std::string body;
    int status = 200;
    for (const auto& server : options_.servers) {
        Conn conn = connect_plain(server.conninfo);
        if (!conn) {
            status = 503;
            body += "# server " + server.name + ": cannot connect\n";
            continue;
        }
        Result result(PQexec(conn.get(), "SELECT jobs.metrics()"));
        if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
            status = 503;
            body += "# server " + server.name + ": jobs.metrics() failed: " +
                    replace_all(PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY) == nullptr
                                    ? "error"
                                    : PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY),
                                "\n", " ") +
                    "\n";
            continue;
        }
        for (int row = 0; row < PQntuples(result.get()); ++row) {
            body += PQgetvalue(result.get(), row, 0);
            if (!body.empty() && body.back() != '\n') {
                body += '\n';
            }
        }
    }
    res.status = status;
    res.set_content(body, "text/plain; version=0.0.4");
}

void Dashboard::routes(httplib::Server& server) {
    const std::string assets = options_.assets_dir.empty() ? PG_JOBS_WEB_ASSETS : options_.assets_dir;
    if (!server.set_mount_point("/assets", assets)) {
        throw std::runtime_error("the page's files are not in " + assets + " (see --assets)");
    }
    server.set_default_headers({
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors "
         "'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
    });
    server.Get("/", [](const httplib::Request& /*req*/, httplib::Response& res) {
        res.status = 302;
        res.set_header("Location", "/assets/index.html");
    });
    server.Get("/healthz", [this](const httplib::Request& /*req*/, httplib::Response& res) {
        send_json(res, 200,
                  "{\"ok\":true,\"sessions\":" + std::to_string(sessions_.size()) +
                      ",\"live_pages\":" + std::to_string(live_.subscribers()) + "}");
    });
    server.Post("/api/login",
                [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
    server.Post("/api/logout", [this](const httplib::Request& req, httplib::Response& res) {
        const auto session = sessions_.find(cookie_value(req, cookie_name));
        if (session && same_secret(req.get_header_value("X-CSRF-Token"), session->csrf_token)) {
            sessions_.remove(cookie_value(req, cookie_name));
        } else if (session) {
            send_error(res, 403, "refused: the request did not carry this session's CSRF token");
            return;
        }
        res.set_header("Set-Cookie",
                       std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        send_json(res, 200, "{\"signed_out\":true}");
    });
    server.Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(
            req, res, false, [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                std::string servers = "[";
                for (const auto& server : options_.servers) {
                    servers += (servers.size() > 1 ? "," : "");
                    servers += "{\"name\":" + json_string(server.name) + ",\"signed_in\":" +
                               (session.connections.count(server.name) != 0 ? "true" : "false") + "}";
                }
                send_json(out, 200,
                          "{\"role\":" + json_string(session.role) +
                              ",\"csrf_token\":" + json_string(session.csrf_token) + ",\"read_only\":" +
                              (session.read_only || options_.read_only ? "true" : "false") + ",\"servers\":" +
                              servers + "],\"who\":" + on_servers(session, r, sql::whoami, {}) + "}");
            });
    });
    server.Get("/api/overview", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(req, res, false,
                  [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                      send_json(out, 200,
                                "{\"live\":" + live_.status_message() +
                                    ",\"overview\":" + on_servers(session, r, sql::overview, {}) + "}");
                  });
    });
    server.Get("/api/jobs", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(
            req, res, false, [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                static const std::map<std::string, std::string> orders = {
                    {"name", "j.job_name"}, {"owner", "pg_catalog.pg_get_userbyid(j.owner)::text"},
                    {"kind", "j.kind"},     {"schedule", "j.schedule"},
                    {"id", "j.job_id"},     {"updated", "j.updated_at"},
                };
                const std::string sort = r.get_param_value("sort");
                const auto order = orders.find(sort);
                const std::string direction = r.get_param_value("dir") == "desc" ? " DESC" : "";
                const std::string order_by =
                    (order == orders.end() ? std::string("j.job_name") : order->second) + direction +
                    ", j.job_id";
                const int per_page = int_param(r, "per_page", 50, 1, 500);
                const int page = int_param(r, "page", 1, 1, 1000000);
                // Only the filters asked for, each with its parameter.
                std::string where = "true";
                std::vector<Param> params;
                auto filter = [&where, &params](const std::string& clause, const std::string& value) {
                    std::string text = clause;
                    if (!value.empty()) {
                        params.push_back(param(value));
                        text = replace_all(text, "?", "$" + std::to_string(params.size()));
                    }
                    where += " AND " + text;
                };
                if (!r.get_param_value("q").empty()) {
                    filter(sql::jobs_filter_q, r.get_param_value("q"));
                }
                if (!r.get_param_value("owner").empty()) {
                    filter(sql::jobs_filter_owner, r.get_param_value("owner"));
                }
                if (!r.get_param_value("kind").empty()) {
                    filter(sql::jobs_filter_kind, r.get_param_value("kind"));
                }
                if (!r.get_param_value("tag").empty()) {
                    filter(sql::jobs_filter_tag, r.get_param_value("tag"));
                }
                const std::string status = r.get_param_value("status");
                if (status == "enabled") {
                    filter(sql::jobs_filter_enabled, "");
                } else if (status == "disabled") {
                    filter(sql::jobs_filter_disabled, "");
                } else if (status == "running") {
                    filter(sql::jobs_filter_running, "");
                } else if (status == "never") {
                    filter(sql::jobs_filter_never, "");
                } else if (!status.empty()) {
                    filter(sql::jobs_filter_last_status, status);
                }
                // By last status: its own shape (jobs.job_last_run's status index).
                const bool by_last_status = sort == "last_status";
                std::string statement =
                    replace_all(sql::jobs_page, "{PAGE}",
                                by_last_status ? sql::jobs_page_rows_by_last_status : sql::jobs_page_rows);
                statement = replace_all(statement, "{WHERE}", where);
                statement = replace_all(statement, "{ORDER}", order_by);
                statement = replace_all(statement, "{DIR}", direction);
                const long long offset = static_cast<long long>(page - 1) * per_page;
                statement = replace_all(statement, "{N}", std::to_string(offset + per_page));
                statement = replace_all(statement, "{LIMIT}", std::to_string(per_page));
                statement = replace_all(statement, "{OFFSET}", std::to_string(offset));
                send_json(out, 200, on_servers(session, r, statement, params));
            });
    });
    server.Get("/api/alerts", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(req, res, false,
                  [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                      send_json(out, 200, on_servers(session, r, sql::alerts, {}));
                  });
    });
    server.Get("/api/runs", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(
            req, res, false, [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                const int per_page = int_param(r, "per_page", 50, 1, 500);
                const int page = int_param(r, "page", 1, 1, 1000000);
                const std::string job_id = r.get_param_value("job_id");
                if (!job_id.empty() && !is_integer(job_id)) {
                    send_error(out, 400, "job_id: expected a number");
                    return;
                }
                const std::string statement = replace_all(sql::runs_page, "{WHERE}", sql::runs_where);
                send_json(out, 200,
                          on_servers(session, r, statement,
                                     {optional(r, "job_id"), optional(r, "status"), optional(r, "since"),
                                      optional(r, "q"), param(std::to_string(per_page)),
                                      param(std::to_string(static_cast<long long>(page - 1) * per_page))}));
            });
    });
    auto by_id = [this](const char* sql_text, const char* id_name) {
        return [this, sql_text, id_name](const httplib::Request& req, httplib::Response& res) {
            signed_in(req, res, false,
                      [this, sql_text, id_name](Session& session, const httplib::Request& r,
                                                httplib::Response& out) {
                          const std::string id = r.get_param_value(id_name);
                          if (!is_integer(id)) {
                              send_error(out, 400, std::string(id_name) + ": expected a number");
                              return;
                          }
                          answer(out, on_server(session, r.get_param_value("server"), sql_text, {param(id)}));
                      });
        };
    };
    server.Get("/api/job", by_id(sql::job_detail, "id"));
    server.Get("/api/run", by_id(sql::run_detail, "id"));
    server.Get("/api/validate", [this](const httplib::Request& req, httplib::Response& res) {
        signed_in(
            req, res, false, [this](Session& session, const httplib::Request& r, httplib::Response& out) {
                Answer result = on_server(session, r.get_param_value("server"), sql::validate_schedule,
                                          {param(r.get_param_value("schedule")), optional(r, "timezone")});
                if (!result.ok && result.http_status == 400) {
                    result.http_status = 422;  // the schedule is wrong, not the request
                }
                answer(out, result);
            });
    });
    // Actions: POST, with the session's CSRF token, on a session that may write.
    struct Action {
        const char* path;
        const char* sql_text;
        const char* id_name;
    };
    static const Action actions[] = {
        {"/api/job/trigger", sql::trigger, "id"},         {"/api/job/enable", sql::enable, "id"},
        {"/api/job/disable", sql::disable, "id"},         {"/api/job/delete", sql::unschedule, "id"},
        {"/api/job/schedule", sql::alter_schedule, "id"}, {"/api/run/cancel", sql::cancel, "id"},
    };
    for (const Action& action : actions) {
        server.Post(action.path, [this, action](const httplib::Request& req, httplib::Response& res) {
            signed_in(req, res, true,
                      [this, action](Session& session, const httplib::Request& r, httplib::Response& out) {
                          const std::string id = r.get_param_value(action.id_name);
                          if (!is_integer(id)) {
                              send_error(out, 400, std::string(action.id_name) + ": expected a number");
                              return;
                          }
                          std::vector<Param> params = {param(id)};
                          if (action.sql_text == sql::trigger) {
                              params.push_back(optional(r, "payload"));
                          } else if (action.sql_text == sql::alter_schedule) {
                              params.push_back(param(r.get_param_value("schedule")));
                              params.push_back(optional(r, "timezone"));
                          }
                          answer(out,
                                 on_server(session, r.get_param_value("server"), action.sql_text, params));
                      });
        });
    }
    server.Get("/api/events",
               [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });
    server.Get("/metrics",
               [this](const httplib::Request& req, httplib::Response& res) { metrics(req, res); });
}

int Dashboard::run() {
    std::unique_ptr<httplib::Server> server;
    if (!options_.tls_cert.empty()) {
        auto tls = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(), options_.tls_key.c_str());
        if (!tls->is_valid()) {
            std::cerr << "pg_jobs_web: cannot use the TLS certificate or key (" << options_.tls_cert << ", "
                      << options_.tls_key << ")\n";
            return 1;
        }
        server = std::move(tls);
    } else {
        server = std::make_unique<httplib::Server>();
    }
    const int threads = options_.threads;
    server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server->set_payload_max_length(1 << 20);
    routes(*server);
    live_.start();
    std::atomic<bool> done{false};
    std::thread reaper([this, &done] {
        while (!done) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            sessions_.expire();
        }
    });
    running_server = server.get();
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    if (!server->bind_to_port(options_.listen_host, options_.listen_port)) {
        std::cerr << "pg_jobs_web: cannot listen on " << options_.listen_host << ":" << options_.listen_port
                  << "\n";
        done = true;
        reaper.join();
        live_.stop();
        return 1;
    }
    std::cout << "pg_jobs_web: listening on " << (options_.tls_cert.empty() ? "http" : "https") << "://"
              << options_.listen_host << ":" << options_.listen_port << "/ for " << options_.servers.size()
              << " server(s)" << std::endl;
    server->listen_after_bind();
    running_server = nullptr;
    done = true;
    reaper.join();
    live_.stop();
    return 0;
}

}  // namespace
}  // namespace pg_jobs_web

int main(int argc, char** argv) {
    try {
        pg_jobs_web::Options options;
        if (!pg_jobs_web::parse_options(argc, argv, options)) {
            return 0;
        }
        pg_jobs_web::Dashboard dashboard(std::move(options));
        return dashboard.run();
    } catch (const std::exception& error) {
        std::cerr << "pg_jobs_web: " << error.what() << "\n";
        return 2;
    }
}
