#!/usr/bin/env bash
# Benchmarks the archive handler (issue 5) against raw zlib on the same bytes, in one process and
# one run (bench/archive_bench.cc): records/s and MB/s at gzip levels 1 and 6, then one line per
# target: `target archive_gzipL_vs_zlib <x>x >=0.7x PASS|FAIL`. No broker or kbridge process: the
# handler is driven through the Handler interface on a temporary directory.
#
#   bench/archive.sh [--quick] [--no-build] [--keys N]
#
#   --quick      30,000 records and 2 rounds per level (checks the harness; figures are rough)
#   --no-build   use the archive_bench already built (build/bin/archive_bench or ARCHIVE_BENCH_BIN)
#   --keys N     also run dynamically partitioned by a JSON field with N values (info, no target)
#
# Environment: ARCHIVE_BENCH_BIN (the tool; default build/bin/archive_bench, built first),
# ARCHIVE_BENCH_RECORDS (default 150000, ~40 MB), ARCHIVE_BENCH_ROUNDS (default 3),
# ARCHIVE_BENCH_LEVELS (default 1,6), ARCHIVE_BENCH_DIR (where the archives are written; default
# $TMPDIR or /tmp: pick a real disk, the handler fsyncs every object).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

quick=0 build=1 keys=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --keys) shift; keys="${1:?--keys needs a number}" ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "bench/archive.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

records="${ARCHIVE_BENCH_RECORDS:-150000}" rounds="${ARCHIVE_BENCH_ROUNDS:-3}"
levels="${ARCHIVE_BENCH_LEVELS:-1,6}" dir="${ARCHIVE_BENCH_DIR:-${TMPDIR:-/tmp}}"
if ((quick)); then records=30000 rounds=2; fi

bin="${ARCHIVE_BENCH_BIN:-$root/build/bin/archive_bench}"
if ((build)) && [[ -z "${ARCHIVE_BENCH_BIN:-}" ]]; then
  [[ -f "$root/build/CMakeCache.txt" ]] || cmake --preset default -S "$root" >/dev/null
  log "building archive_bench"
  (cd "$root" && cmake --build --preset default --target archive_bench) >"$root/build/bench-build.log" 2>&1 ||
    { tail -n 40 "$root/build/bench-build.log" >&2; die "build failed (log: build/bench-build.log)"; }
fi
[[ -x "$bin" ]] || die "$bin not built (run without --no-build)"

echo "archive handler benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$records JSON records per round, seed prefix (year=/month=/day=/hour=), 5 MiB objects, one shard, batches of 500; best of $rounds rounds"
echo
out="$("$bin" --records "$records" --rounds "$rounds" --levels "$levels" --dir "$dir")" || status=$?
status="${status:-0}"
row() { printf '%-7s %-14s %12s %8s %8s %10s\n' "$@"; }
row level system records/s MB/s cpu_s gzip_ratio
row ------- -------------- ------------ -------- -------- ----------
val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
while read -r line; do
  [[ "$line" == result* ]] || continue
  l="$(val "$line" level)"
  row "$l" "archive handler" "$(val "$line" handler_records_per_s)" "$(val "$line" handler_mb_per_s)" \
    "$(val "$line" handler_cpu_s)" "$(val "$line" gzip_ratio)"
  row "$l" "raw zlib" "$(val "$line" zlib_records_per_s)" "$(val "$line" zlib_mb_per_s)" \
    "$(val "$line" zlib_cpu_s)" "$(val "$line" gzip_ratio)"
done <<<"$out"
echo "(MB/s counts record bytes before compression, newlines included; cpu_s is the best round's"
echo " CPU time of the thread doing the work; raw zlib writes nothing, the handler writes and fsyncs)"
echo
if ((keys > 0)); then
  kout="$("$bin" --records "$records" --rounds "$rounds" --levels 6 --keys "$keys" --dir "$dir")" || true
  kline="$(grep '^result ' <<<"$kout" | head -n 1)"
  echo "info archive_partitioned_${keys}_keys_gzip6 $(val "$kline" handler_records_per_s) records/s" \
    "$(val "$kline" handler_mb_per_s) MB/s vs zlib $(val "$kline" zlib_mb_per_s) MB/s" \
    "($(val "$kline" ratio)x; not a target)"
fi
grep -E '^(target|info|archive_bench:)' <<<"$out" || true
exit "$status"
