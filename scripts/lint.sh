#!/usr/bin/env bash
# Static checks: clang-tidy (rules in .clang-tidy) over src/core and
# src/http, with the compile commands of the CMake build in build/, and over
# src/pg, with the server's include directory; cppcheck over src/core and
# src/http.
# Exits non-zero on any finding. `make test` runs it as the lint stage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

# compile_commands.json is written at configure time; no build needed.
# Configure every time (it is quick) so files added since are listed.
mkdir -p build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/configure.log 2>&1 || {
    cat build/configure.log
    exit 1
}

mapfile -t sources < <(find src/core src/http -name '*.cpp' | sort)
status=0

echo "lint: clang-tidy on ${#sources[@]} files"
for source in "${sources[@]}"; do
    if ! clang-tidy -p build --quiet "$source" 2> >(grep -v '^[0-9]* warnings\? generated\.$' >&2); then
        status=1
    fi
done

# The glue is not in the CMake build: give clang-tidy its flags directly.
mapfile -t glue < <(find src/pg -name '*.cpp' | sort)
server_includes="$(pg_config --includedir-server)"
version="$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_jobs.control)"
echo "lint: clang-tidy on ${#glue[@]} glue files"
for source in "${glue[@]}"; do
    if ! clang-tidy --quiet "$source" -- -std=c++17 -Isrc -I"$server_includes" -DPG_JOBS_VERSION="\"$version\"" \
        2> >(grep -v '^[0-9]* warnings\? generated\.$' >&2); then
        status=1
    fi
done

# The C++/PostgreSQL boundary (src/pg/common/guard.hpp): PG_TRY only in
# guard.cpp; transactions started, committed and rolled back only in
# transaction.cpp; a PgError caught without a rollback only after a pure
# input function, which the catch line says. Comments do not count.
echo "lint: the C++/PostgreSQL boundary"
boundary_findings="$(find src/pg -name '*.cpp' -o -name '*.hpp' | sort | xargs perl -ne '
    my $code = $_;
    $code =~ s{//.*}{};
    my $where = "$ARGV:$.";
    if ($code =~ /\bPG_(TRY|CATCH|FINALLY|END_TRY)\b/ && $ARGV ne "src/pg/common/guard.cpp") {
        print "$where: PG_$1 outside src/pg/common/guard.cpp (use call_pg)\n";
    }
    if ($code =~ /\b(StartTransactionCommand|CommitTransactionCommand|AbortCurrentTransaction|AbortOutOfAnyTransaction|BeginInternalSubTransaction|ReleaseCurrentSubTransaction|RollbackAndReleaseCurrentSubTransaction)\b/
        && $ARGV ne "src/pg/common/transaction.cpp") {
        print "$where: $1 outside src/pg/common/transaction.cpp (use transaction.hpp)\n";
    }
    if ($code =~ /\bcatch\s*\(\s*const\s+PgError/ && !/pure input function/ && $ARGV ne "src/pg/common/guard.cpp") {
        print "$where: a PgError caught without a rollback must follow a pure input function, and say so (guard.hpp)\n";
    }
    close ARGV if eof;
')"
if [[ -n "$boundary_findings" ]]; then
    echo "$boundary_findings" >&2
    status=1
fi

echo "lint: cppcheck"
# missingIncludeSystem: cppcheck need not read the standard headers.
if ! cppcheck --quiet --error-exitcode=1 --std=c++17 --language=c++ --enable=warning,style,performance,portability \
    --inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction -I src src/core src/http; then
    status=1
fi

if ((status == 0)); then
    echo "lint: clean"
else
    echo "lint: findings above" >&2
fi
exit "$status"
