#!/usr/bin/env bash
# Installs the Debian 12 packages pg_jobs needs to build, test and demo.
# Idempotent: asks dpkg what is already there and only runs apt-get (update,
# then install) when something is missing, so a second run costs nothing.
#
# Set PG_JOBS_SKIP_DEPS=1 to skip the check entirely (e.g. on a machine you
# manage by hand).
set -euo pipefail

if [[ "${PG_JOBS_SKIP_DEPS:-0}" == 1 ]]; then
    echo "install-deps: skipped (PG_JOBS_SKIP_DEPS=1)"
    exit 0
fi

packages=(
    # Compilers and build tools (PGXS, CMake, the clang libFuzzer runtime).
    build-essential g++ make cmake pkg-config clang-14 libclang-rt-14-dev
    # Formatting and linting (make format, scripts/lint.sh).
    clang-format clang-tidy cppcheck
    # PostgreSQL 15 server, client and headers; tzdata backs its time zones.
    postgresql-15 postgresql-client-15 postgresql-server-dev-15 tzdata
    # HTTP jobs: libcurl; the loopback test server (test/lib/http_test_server.py,
    # run by /usr/bin/python3); nginx (with openssl for a test certificate:
    # TLS and HTTP/2 tests) and wrk for the HTTP benchmark.
    libcurl4-openssl-dev python3 nginx openssl wrk curl
    # E-mail jobs: the loopback SMTP test server (test/lib/smtp_test_server.py).
    python3-aiosmtpd
    # Tests: pgTAP and pg_prove, GoogleTest, Google Benchmark.
    postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libgtest-dev libgmock-dev libbenchmark-dev
    # pg_cron: comparison benchmarks, and the jobs.import_pg_cron test (test/integration/import_pg_cron.sh).
    postgresql-15-cron
    # promtool (Prometheus): checks the text jobs.metrics() returns (test/integration/insight.sh).
    prometheus
    # Tools the test scripts use: ps/pgrep (procps), ss (iproute2), runuser (util-linux).
    procps iproute2 util-linux
    # The dashboard pg_jobs_web: cpp-httplib (with OpenSSL for --tls-cert) and libpq;
    # its browser tests: headless Chromium driven by Selenium (test/browser/).
    libcpp-httplib-dev libpq-dev libssl-dev chromium chromium-driver python3-selenium
)

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for package in "${packages[@]}"; do
    if ! is_installed "$package"; then
        echo "install-deps: missing $package"
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

# apt-get needs root: use sudo when we are not root, or explain what to run.
run_as_root=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        run_as_root=(sudo)
    else
        echo "install-deps: ${#missing[@]} packages are missing and this is not root (and sudo is not installed)." >&2
        echo "install-deps: as root, run: apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing.
apt_options=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
"${run_as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update -q
"${run_as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y -q \
    --no-install-recommends "${missing[@]}"

still_missing=()
for package in "${missing[@]}"; do
    is_installed "$package" || still_missing+=("$package")
done
if ((${#still_missing[@]} > 0)); then
    echo "install-deps: still missing after apt-get install: ${still_missing[*]}" >&2
    exit 1
fi
echo "install-deps: done"
