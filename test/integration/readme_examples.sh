#!/usr/bin/env bash
# The README is runnable and true. Every ```sql block of README.md runs, in
# order, as written (psql, ON_ERROR_STOP), on a fresh cluster with pg_jobs
# preloaded, as a new user would paste them; then:
#   - no run of the README's SQL jobs failed, and each of them that is due
#     soon ran and succeeded (refresh-totals, send-mail);
#   - the README's lists match the catalog: the columns of each table and
#     view in "Tables and views", and the keys of jobs.context() (read from
#     a real run) in the Functions table and in its SQL comment.
#
#   test/integration/readme_examples.sh   (needs pg_jobs installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

readme=README.md
blocks_dir="$(mktemp -d)"
cluster_on_exit "rm -rf '$blocks_dir'"
chmod 755 "$blocks_dir"

# One file per ```sql block, named by the README line it starts on.
awk -v dir="$blocks_dir" '
    /^```sql[[:space:]]*$/ { inside = 1; file = sprintf("%s/%05d.sql", dir, NR + 1); next }
    inside && /^```/ { inside = 0; close(file); next }
    inside { print > file }
' "$readme"
blocks=("$blocks_dir"/*.sql)
((${#blocks[@]} >= 6)) || fail "README.md has its SQL examples in \`\`\`sql blocks (found ${#blocks[@]})"

scheduler_start readme_examples
for block in "${blocks[@]}"; do
    line="$((10#$(basename "$block" .sql)))"
    if ! out="$(cluster_psql -v ON_ERROR_STOP=1 -f - <"$block" 2>&1)"; then
        echo "$out" >&2
        fail "the SQL block at README.md line $line runs as written"
    fi
done
pass "all ${#blocks[@]} SQL blocks of README.md run as written, in order"

# The README's own jobs: what is due soon runs and succeeds, nothing fails.
wait_until 60 "SELECT EXISTS (SELECT FROM jobs.job_execution WHERE job_name = 'refresh-totals'
                                                              AND status = 'succeeded')" ||
    fail "refresh-totals (every 10 seconds) ran and succeeded"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE job_name = 'send-mail' ORDER BY execution_id DESC LIMIT 1")" == succeeded ]] ||
    fail "send-mail succeeded"
failed="$(value "SELECT string_agg(job_name || ': ' || error, '; ') FROM jobs.job_execution
                 WHERE kind = 'sql' AND status NOT IN ('succeeded', 'queued', 'running')")"
[[ -z "$failed" ]] || fail "no SQL run of the README's examples failed ($failed)"
pass "the README's SQL jobs succeed (refresh-totals, send-mail), none failed"

# --- The README's lists match the catalog -------------------------------------------

# The backticked names in the README table row that starts with | `object` |,
# before the first parenthesis that lists values, as one sorted line.
readme_columns() {
    local object="$1"
    grep -m1 -F "| \`$object\` |" "$readme" |
        awk -F'|' '{ print $3 }' |
        sed -E 's/\([^()]*\)//g; s/\([^()]*\)//g' |
        grep -oE '`[a-z_]+`' | tr -d '`' |
        sort -u | tr '\n' ' '
}
catalog_columns() {
    value "SELECT string_agg(attname, ' ' ORDER BY attname) || ' ' FROM pg_attribute
           WHERE attrelid = '$1'::regclass AND attnum > 0 AND NOT attisdropped"
}
for object in jobs.scheduled_job jobs.job_execution jobs.job_status jobs.job_history jobs.job_audit jobs.secrets; do
    in_readme="$(readme_columns "$object")"
    in_catalog="$(catalog_columns "$object")"
    # Every column of the catalog is named in the README's row (the row may
    # name values too, such as statuses, which are not columns).
    missing=""
    for column in $in_catalog; do
        [[ " $in_readme " == *" $column "* ]] || missing+=" $column"
    done
    [[ -z "$missing" ]] || fail "README's row for $object names every column (missing:$missing)"
done
pass "README's Tables and views name every column of the six tables and views"

# jobs.context() keys: from a real run, against the README and the SQL comment.
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.readme_context_keys (key text);
SELECT jobs.schedule('readme-context', NULL,
                     'INSERT INTO public.readme_context_keys SELECT jsonb_object_keys(jobs.context())');
SQL
id="$(value "SELECT jobs.trigger('readme-context')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the job that reads jobs.context() succeeded"
keys="$(value "SELECT string_agg(key, ', ' ORDER BY key) FROM public.readme_context_keys")"
documented="$(grep -m1 -F '| `jobs.context()` → `jsonb` |' "$readme" | grep -oE '\{[a-z_, ]+\}' | head -1 |
              tr -d '{}' | tr ',' '\n' | sed 's/^ *//' | sort | paste -sd, | sed 's/,/, /g')"
[[ "$documented" == "$keys" ]] || fail "README lists the keys of jobs.context() (README: $documented; a run: $keys)"
commented="$(value "SELECT obj_description('jobs.context()'::regprocedure)" | grep -oE '\{[a-z_, ]+\}' | head -1 |
             tr -d '{}' | tr ',' '\n' | sed 's/^ *//' | sort | paste -sd, | sed 's/,/, /g')"
[[ "$commented" == "$keys" ]] || fail "the comment of jobs.context() lists its keys (comment: $commented; a run: $keys)"
pass "README and COMMENT list the keys of jobs.context(): $keys"
