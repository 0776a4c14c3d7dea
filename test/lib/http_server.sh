# shellcheck shell=bash
# The loopback HTTP server of the HTTP tests (test/lib/http_test_server.py),
# for scripts that source test/lib/cluster.sh and test/lib/scheduler.sh.
#
#   http_test_server_start
#       starts it on a free port and stops it when the script exits; sets
#       server_dir (its directory: "out" is its output), server_pid, port and
#       base (http://127.0.0.1:<port>).
#   received           what it recorded, as JSON
#   forget_received    clears what it recorded

http_test_server_start() {
    server_dir="$(mktemp -d /tmp/pg_jobs.http_server.XXXXXX)"
    chmod 755 "$server_dir"
    python3 test/lib/http_test_server.py --port 0 --port-file "$server_dir/port" >"$server_dir/out" 2>&1 &
    server_pid=$!
    cluster_on_exit "kill $server_pid 2>/dev/null; rm -rf '$server_dir'"
    wait_for 20 test -s "$server_dir/port" || fail "the test HTTP server starts"
    port="$(cat "$server_dir/port")"
    base="http://127.0.0.1:$port"
}

received() { curl -fsS "$base/received"; }
forget_received() { curl -fsS -X DELETE "$base/received" >/dev/null; }
