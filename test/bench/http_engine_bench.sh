#!/usr/bin/env bash
# The HTTP engine (src/http, no PostgreSQL) against nginx on loopback:
# 10,000 requests queued at once, at most 256 in flight, 5 runs (median);
# then wrk against the same URL as the ceiling, and the ratio. nginx runs
# from a private temp dir on a free port with one worker, answering a small
# static JSON body, and is stopped at the end.
#
#   test/bench/http_engine_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1): 2,000 requests, 3 runs, wrk 3 s.
# Prints figures; exits non-zero only when something errors (a request that
# does not succeed, nginx not starting).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=test/lib/bench.sh
source "$ROOT/test/lib/bench.sh"

bench_args "$@"
requests=10000 runs=5 wrk_seconds=10
((quick)) && requests=2000 runs=3 wrk_seconds=3
concurrency=256

for tool in nginx wrk; do
    if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
        echo "http_engine_bench: $tool is not installed (scripts/install-deps.sh installs it)" >&2
        exit 1
    fi
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

build="$ROOT/build-bench"
mkdir -p "$build"
if ! cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build/configure.log" 2>&1; then
    cat "$build/configure.log" >&2
    exit 1
fi
cmake --build "$build" --target http_engine_bench -j "${PG_JOBS_JOBS:-$(nproc)}" >/dev/null

dir="$(mktemp -d /tmp/pg_jobs-nginx.XXXXXX)"
stop_nginx() {
    if [[ -f "$dir/nginx.pid" ]]; then
        kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap stop_nginx EXIT

port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        location / {
            default_type application/json;
            return 200 '{"success": true, "itemsProcessed": 1}\n';
        }
    }
}
CONF
"$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
url="http://127.0.0.1:$port/"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

"$build/http_engine_bench" --url "$url" --requests "$requests" --concurrency "$concurrency" --runs "$runs" |
    tee "$dir/engine.out"
engine="$(awk '/^engine_median_requests_per_second/ { print $2 }' "$dir/engine.out")"

echo
echo "wrk -t2 -c$concurrency -d${wrk_seconds}s $url (the ceiling)"
wrk -t2 -c"$concurrency" -d"${wrk_seconds}s" "$url" | tee "$dir/wrk.out"
ceiling="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$dir/wrk.out")"

echo
printf '%-44s %12s\n' "HTTP engine alone, median requests/s" "$engine"
printf '%-44s %12s\n' "wrk, requests/s (ceiling)" "$ceiling"
awk -v a="$engine" -v b="$ceiling" 'BEGIN { if (b > 0) printf "%-44s %11.2fx\n", "engine / wrk", a / b }'
