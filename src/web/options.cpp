#include "web/options.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, from unistd.h

namespace pg_jobs_web {

namespace {

const char* const usage_text =
    "Usage: pg_jobs_web [options]\n"
    "  --listen HOST:PORT     address to listen on (default 127.0.0.1:8765)\n"
    "  --dsn [NAME=]CONNINFO  a PostgreSQL server with pg_jobs (repeatable; libpq connection string or "
    "URI).\n"
    "                         The dashboard's own role for live updates; users sign in as their own roles.\n"
    "  --config FILE          settings file: lines 'key = value' (listen, dsn, dsn.NAME, read_only, ...)\n"
    "  --read-only            nobody can change anything through this dashboard\n"
    "  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
    "  --session-idle SECONDS sign out after this long without a request (default 1800)\n"
    "  --sessions-per-role N  a role's sessions at most; one more sign-in ends its least recently used (16)\n"
    "  --streams-per-role N   a role's open live streams at most (8); all roles: a quarter of the threads\n"
    "  --metrics-token TOKEN  serve /metrics to requests with 'Authorization: Bearer TOKEN'\n"
    "  --assets DIR           the page's files (default: installed beside the extension)\n"
    "Environment: PG_JOBS_WEB_LISTEN, PG_JOBS_WEB_DSN, PG_JOBS_WEB_DSN_<NAME>, PG_JOBS_WEB_CONFIG,\n"
    "  PG_JOBS_WEB_READ_ONLY, PG_JOBS_WEB_TLS_CERT, PG_JOBS_WEB_TLS_KEY, PG_JOBS_WEB_SESSION_IDLE,\n"
    "  PG_JOBS_WEB_SESSIONS_PER_ROLE, PG_JOBS_WEB_STREAMS_PER_ROLE, PG_JOBS_WEB_METRICS_TOKEN,\n"
    "  PG_JOBS_WEB_ASSETS.\n";

bool is_name(const std::string& text) {
    if (text.empty()) {
        return false;
    }
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

bool parse_bool(const std::string& key, const std::string& value) {
    if (value == "1" || value == "on" || value == "true" || value == "yes") {
        return true;
    }
    if (value == "0" || value == "off" || value == "false" || value == "no" || value.empty()) {
        return false;
    }
    throw std::runtime_error(key + ": expected on or off, got '" + value + "'");
}

int parse_int(const std::string& key, const std::string& value, int low, int high) {
    try {
        std::size_t used = 0;
        const int number = std::stoi(value, &used);
        if (used == value.size() && number >= low && number <= high) {
            return number;
        }
    } catch (const std::exception&) {
    }
    throw std::runtime_error(key + ": expected a number from " + std::to_string(low) + " to " +
                             std::to_string(high) + ", got '" + value + "'");
}

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return "";
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

// Settings by key, in the order they apply; "dsn" may repeat.
struct Settings {
    std::vector<std::pair<std::string, std::string>> items;
    void set(const std::string& key, const std::string& value) { items.emplace_back(key, value); }
};

void read_config_file(const std::string& path, Settings& settings) {
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read the config file " + path);
    }
    std::string line;
    int number = 0;
    while (std::getline(file, line)) {
        ++number;
        line = trim(line);
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string::npos) {
            throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 'key = value'");
        }
        std::string key = trim(line.substr(0, equals));
        std::string value = trim(line.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
            value = value.substr(1, value.size() - 2);
        }
        if (key.rfind("dsn.", 0) == 0) {
            value = key.substr(4).append("=").append(value);
            key = "dsn";
        }
        settings.set(key, value);
    }
}

void read_environment(Settings& settings) {
    static const std::map<std::string, std::string> names = {
        {"PG_JOBS_WEB_LISTEN", "listen"},
        {"PG_JOBS_WEB_DSN", "dsn"},
        {"PG_JOBS_WEB_READ_ONLY", "read_only"},
        {"PG_JOBS_WEB_TLS_CERT", "tls_cert"},
        {"PG_JOBS_WEB_TLS_KEY", "tls_key"},
        {"PG_JOBS_WEB_SESSION_IDLE", "session_idle"},
        {"PG_JOBS_WEB_SESSIONS_PER_ROLE", "sessions_per_role"},
        {"PG_JOBS_WEB_STREAMS_PER_ROLE", "streams_per_role"},
        {"PG_JOBS_WEB_METRICS_TOKEN", "metrics_token"},
        {"PG_JOBS_WEB_ASSETS", "assets"},
    };
    for (const auto& [variable, key] : names) {
        if (const char* value = std::getenv(variable.c_str())) {
            settings.set(key, value);
        }
    }
    const std::string prefix = "PG_JOBS_WEB_DSN_";
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        if (text.rfind(prefix, 0) == 0) {
            const auto equals = text.find('=');
            settings.set("dsn",
                         text.substr(prefix.size(), equals - prefix.size()) + "=" + text.substr(equals + 1));
        }
    }
}

void apply(const std::string& key, const std::string& value, Options& options) {
    if (key == "listen") {
        const auto colon = value.rfind(':');
        if (colon == std::string::npos) {
            throw std::runtime_error("listen: expected HOST:PORT, got '" + value + "'");
        }
        std::string host = value.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        options.listen_host = host.empty() ? "127.0.0.1" : host;
        options.listen_port = parse_int("listen port", value.substr(colon + 1), 0, 65535);
    } else if (key == "dsn") {
        options.servers.push_back(parse_server(value, options.servers.size()));
    } else if (key == "read_only") {
        options.read_only = parse_bool(key, value);
    } else if (key == "tls_cert") {
        options.tls_cert = value;
    } else if (key == "tls_key") {
        options.tls_key = value;
    } else if (key == "session_idle") {
        options.session_idle_seconds = parse_int(key, value, 1, 7 * 24 * 3600);
    } else if (key == "sessions_per_role") {
        options.sessions_per_role = parse_int(key, value, 1, 10000);
    } else if (key == "streams_per_role") {
        options.streams_per_role = parse_int(key, value, 1, 10000);
    } else if (key == "metrics_token") {
        options.metrics_token = value;
    } else if (key == "assets") {
        options.assets_dir = value;
    } else if (key == "poll_ms") {
        options.poll_milliseconds = parse_int(key, value, 100, 60000);
    } else if (key == "threads") {
        options.threads = parse_int(key, value, 8, 4096);
    } else {
        throw std::runtime_error("unknown setting '" + key + "'");
    }
}

}  // namespace

Server parse_server(const std::string& text, std::size_t index) {
    const auto equals = text.find('=');
    if (equals != std::string::npos && is_name(text.substr(0, equals))) {
        const std::string rest = text.substr(equals + 1);
        const auto next_equals = rest.find('=');
        const bool uri = rest.rfind("postgres://", 0) == 0 || rest.rfind("postgresql://", 0) == 0;
        const bool pair_follows = next_equals != std::string::npos &&
                                  rest.substr(0, next_equals).find_first_of(" \t") == std::string::npos;
        if (uri || pair_follows) {
            return Server{text.substr(0, equals), rest};
        }
    }
    return Server{index == 0 ? "default" : "server" + std::to_string(index + 1), text};
}

bool parse_options(int argc, char** argv, Options& options) {
    Settings file_settings;
    Settings env_settings;
    Settings line_settings;
    std::string config_path;
    if (const char* path = std::getenv("PG_JOBS_WEB_CONFIG")) {
        config_path = path;
    }
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage_text;
            return false;
        }
        std::string value;
        const auto equals = arg.find('=');
        if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
            value = arg.substr(equals + 1);
            arg.resize(equals);
        } else if (arg == "--read-only") {
            value = "on";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            throw std::runtime_error(arg + " needs a value (see --help)");
        }
        if (arg == "--config") {
            config_path = value;
            continue;
        }
        std::string key = arg.rfind("--", 0) == 0 ? arg.substr(2) : arg;
        std::replace(key.begin(), key.end(), '-', '_');
        if (key == "session_idle" || key == "sessions_per_role" || key == "streams_per_role" ||
            key == "listen" || key == "dsn" || key == "read_only" || key == "tls_cert" || key == "tls_key" ||
            key == "metrics_token" || key == "assets" || key == "poll_ms" || key == "threads") {
            line_settings.set(key, value);
        } else {
            throw std::runtime_error("unknown option " + arg + " (see --help)");
        }
    }
    if (!config_path.empty()) {
        read_config_file(config_path, file_settings);
    }
    read_environment(env_settings);
    // A list of servers is taken whole from the highest level that gives one.
    bool dsn_done = false;
    for (const Settings* level : {&line_settings, &env_settings, &file_settings}) {
        bool gave_dsn = false;
        for (const auto& [key, value] : level->items) {
            if (key == "dsn" && !dsn_done) {
                apply(key, value, options);
                gave_dsn = true;
            }
        }
        dsn_done = dsn_done || gave_dsn;
    }
    for (const Settings* level : {&file_settings, &env_settings, &line_settings}) {
        for (const auto& [key, value] : level->items) {
            if (key != "dsn") {
                apply(key, value, options);
            }
        }
    }
    if (options.servers.empty()) {
        throw std::runtime_error("no server: give --dsn 'host=... dbname=...' (see --help)");
    }
    for (std::size_t i = 0; i < options.servers.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (options.servers[i].name == options.servers[j].name) {
                throw std::runtime_error("two servers named '" + options.servers[i].name + "'");
            }
        }
    }
    if (options.tls_cert.empty() != options.tls_key.empty()) {
        throw std::runtime_error("--tls-cert and --tls-key go together");
    }
    return true;
}

}  // namespace pg_jobs_web
