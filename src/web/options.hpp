// pg_jobs_web: settings from the command line, the environment and a config file.
#pragma once

#include <string>
#include <vector>

namespace pg_jobs_web {

struct Server {
    std::string name;      // shown in the dashboard, e.g. "prod"
    std::string conninfo;  // a libpq connection string or URI
};

struct Options {
    std::string listen_host = "127.0.0.1";
    int listen_port = 8765;
    std::vector<Server> servers;
    std::string assets_dir;
    std::string tls_cert;
    std::string tls_key;
    std::string metrics_token;
    bool read_only = false;
    int session_idle_seconds = 1800;
    int sessions_per_role = 16;  // signing in once more ends the role's least recently used session
    int streams_per_role = 8;    // open live streams (/api/events) of one role at most
    int poll_milliseconds = 2000;
    int threads = 256;
};

// Reads, lowest precedence first: the config file (--config FILE or
// PG_JOBS_WEB_CONFIG), the environment (PG_JOBS_WEB_*), the command line.
// Throws std::runtime_error with a message for the user on a bad setting;
// returns false (after printing usage) for --help.
bool parse_options(int argc, char** argv, Options& options);

// Splits "NAME=CONNINFO" from a bare connection string.
Server parse_server(const std::string& text, std::size_t index);

}  // namespace pg_jobs_web
