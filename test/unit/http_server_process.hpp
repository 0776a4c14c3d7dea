// Runs the loopback test servers of test/lib (HTTP, SMTP) for the lifetime
// of an object, and offers small helpers to read their JSON answers.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace pg_jobs::http::testing {

// A test server script run with /usr/bin/python3 for the lifetime of the
// object; it must print the port it listens on as its first line.
class ServerProcess {
public:
    ServerProcess(const char* what, std::vector<std::string> arguments) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        arguments.insert(arguments.begin(), PG_JOBS_PYTHON3);
        std::vector<char*> argv;
        for (std::string& argument : arguments) {
            argv.push_back(argument.data());
        }
        argv.push_back(nullptr);
        const int spawned = posix_spawn(&pid_, PG_JOBS_PYTHON3, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        if (spawned != 0) {
            close(out[0]);
            throw std::runtime_error("could not start " PG_JOBS_PYTHON3);
        }
        port_ = read_port(out[0]);
        close(out[0]);
        if (port_ <= 0) {
            stop();
            throw std::runtime_error(std::string(what) + " did not print its port");
        }
    }

    ~ServerProcess() { stop(); }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    int port() const { return port_; }

    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

private:
    pid_t pid_ = -1;
    int port_ = -1;

    // The first line the server prints; waits up to 20 s (slow under ASan).
    static int read_port(int fd) {
        std::string line;
        for (int waited_ms = 0; waited_ms < 20000 && line.find('\n') == std::string::npos;) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) {
                waited_ms += 100;
                continue;
            }
            char buffer[64];
            const ssize_t got = read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                break;
            }
            line.append(buffer, static_cast<size_t>(got));
        }
        return std::atoi(line.c_str());
    }
};

// test/lib/http_test_server.py on 127.0.0.1, a free port.
class HttpServerProcess : public ServerProcess {
public:
    HttpServerProcess() : ServerProcess("the HTTP test server", {PG_JOBS_HTTP_TEST_SERVER, "--port", "0"}) {}

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
    }
};

// The integer after "key": in a flat JSON object, or -1.
inline long json_number(std::string_view json, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\":";
    const size_t at = json.find(quoted);
    if (at == std::string_view::npos) {
        return -1;
    }
    return std::strtol(std::string(json.substr(at + quoted.size())).c_str(), nullptr, 10);
}

}  // namespace pg_jobs::http::testing
