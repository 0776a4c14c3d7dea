// Runs nginx from a private temp dir on 127.0.0.1 (a free port) with TLS
// and HTTP/2, using a fresh self-signed certificate for localhost and
// 127.0.0.1, for the lifetime of the object. available() is false when
// nginx or openssl is missing (scripts/install-deps.sh installs both).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace pg_jobs::http::testing {

class NginxTlsProcess {
public:
    NginxTlsProcess() {
        if (!executable(kNginx) || !executable(kOpenssl)) {
            return;
        }
        char dir_template[] = "/tmp/pg_jobs-http-test.XXXXXX";
        if (mkdtemp(dir_template) == nullptr) {
            return;
        }
        dir_ = dir_template;
        port_ = free_port();
        const std::string make_cert = std::string(kOpenssl) +
                                      " req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
                                      " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                                      dir_ + "/key.pem -out " + dir_ + "/cert.pem >" + dir_ +
                                      "/openssl.log 2>&1";
        if (port_ <= 0 || std::system(make_cert.c_str()) != 0) {
            return;
        }
        std::ofstream(dir_ + "/nginx.conf") << config();
        const std::string start = std::string(kNginx) + " -p " + dir_ + " -e " + dir_ + "/error.log -c " +
                                  dir_ + "/nginx.conf >" + dir_ + "/start.log 2>&1";
        started_ = std::system(start.c_str()) == 0;
    }

    ~NginxTlsProcess() {
        std::ifstream pid_file(dir_ + "/nginx.pid");
        long pid = 0;
        if (started_ && (pid_file >> pid) && pid > 0) {
            kill(static_cast<pid_t>(pid), SIGTERM);
        }
        if (!dir_.empty()) {
            // Give nginx a moment to remove its pid file before the dir goes.
            for (int i = 0; i < 50 && access((dir_ + "/nginx.pid").c_str(), F_OK) == 0; ++i) {
                usleep(20000);
            }
            std::system(("rm -rf " + dir_).c_str());
        }
    }
    NginxTlsProcess(const NginxTlsProcess&) = delete;
    NginxTlsProcess& operator=(const NginxTlsProcess&) = delete;

    bool available() const { return started_; }
    std::string url(const std::string& host, const std::string& path) const {
        return "https://" + host + ":" + std::to_string(port_) + path;
    }
    std::string certificate() const { return dir_ + "/cert.pem"; }

private:
    static constexpr const char* kNginx = "/usr/sbin/nginx";
    static constexpr const char* kOpenssl = "/usr/bin/openssl";
    std::string dir_;
    int port_ = -1;
    bool started_ = false;

    static bool executable(const char* path) { return access(path, X_OK) == 0; }

    static int free_port() {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
        if (fd >= 0) {
            close(fd);
        }
        return ok ? ntohs(address.sin_port) : -1;
    }

    std::string config() const {
        std::ostringstream out;
        out << "worker_processes 1;\n"
            << "pid " << dir_ << "/nginx.pid;\n"
            << "error_log " << dir_ << "/error.log warn;\n"
            << "events { worker_connections 1024; }\n"
            << "http {\n"
            << "    access_log off;\n";
        for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
            out << "    " << temp << "_temp_path " << dir_ << "/" << temp << ";\n";
        }
        out << "    server {\n"
            << "        listen 127.0.0.1:" << port_ << " ssl http2;\n"
            << "        ssl_certificate " << dir_ << "/cert.pem;\n"
            << "        ssl_certificate_key " << dir_ << "/key.pem;\n"
            << "        location / { default_type application/json; return 200 '{\"success\": true}\\n'; }\n"
            << "    }\n"
            << "}\n";
        return out.str();
    }
};

}  // namespace pg_jobs::http::testing
