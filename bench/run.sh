#!/usr/bin/env bash
# Benchmarks kbridge side by side with kinesalite (in memory) and raw librdkafka, in one run, on a
# local single-node Kafka broker that this script starts in a temporary directory. Prints a table,
# then one line per target: `target <name> <measured> <goal> PASS|FAIL`.
#
#   bench/run.sh [--quick] [--no-build] [--keep]
#
#   --quick      3 s per workload and a 15 s RSS run (checks the harness; figures are rough)
#   --no-build   use the binaries already built (build/bin/kbridge or KBRIDGE_BIN, and the bench tools)
#   --keep       keep the work directory (logs, raw result lines) instead of removing it
#
# Environment: KBRIDGE_BIN (kbridge executable; default build/bin/kbridge, built first),
# BENCH_DURATION (seconds per workload, default 10), BENCH_WARMUP (default 2),
# BENCH_BROKER_WARMUP (seconds of unmeasured writes before the first workload, default 20),
# BENCH_RSS_DURATION (default 60), BENCH_DRAIN_RECORDS (records in the drained shard, default 100000),
# BENCH_BACKLOG_RECORDS (the backlog drain's shard, kbridge and raw librdkafka only, default 1000000).
# BENCH_LINGER_MS (linger.ms of kbridge's producer, via kafka.rdkafka, and of raw librdkafka; default: kbridge's 0).
#
# Everything listens on 127.0.0.1 only; every load run is bounded in time; the broker, kbridge and
# kinesalite are stopped by the PIDs this script started, also on Ctrl-C or failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

quick=0 build=1 keep=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

dur="${BENCH_DURATION:-10}" warm="${BENCH_WARMUP:-2}" rss_dur="${BENCH_RSS_DURATION:-60}"
broker_warm="${BENCH_BROKER_WARMUP:-20}"
drain_n="${BENCH_DRAIN_RECORDS:-100000}"
backlog_n="${BENCH_BACKLOG_RECORDS:-1000000}"
if ((quick)); then dur=3 warm=1 rss_dur=15; fi

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# ---- build ---------------------------------------------------------------------------------
kbridge_bin="${KBRIDGE_BIN:-$root/build/bin/kbridge}"
if grep -qE '^[[:space:]]*add_subdirectory\(bench\)' "$root/CMakeLists.txt"; then
  tools="$root/build/bin"
  main_targets=(kinesis_load kafka_baseline)
else
  tools="$root/build-bench/bin"
  main_targets=()
fi
if ((build)); then
  "$root/scripts/setup"  # Debian packages, broker jars, bench/node_modules; quick when all is there
  if [[ -z "${KBRIDGE_BIN:-}" ]] || ((${#main_targets[@]})); then
    [[ -f "$root/build/CMakeCache.txt" ]] || cmake --preset default -S "$root" >/dev/null
    targets=("${main_targets[@]}")
    [[ -z "${KBRIDGE_BIN:-}" ]] && targets+=(kbridge)
    log "building ${targets[*]}"
    (cd "$root" && cmake --build --preset default --target "${targets[@]}") >"$root/build/bench-build.log" 2>&1 ||
      { tail -n 40 "$root/build/bench-build.log" >&2; die "build failed (log: build/bench-build.log)"; }
  fi
  if ((${#main_targets[@]} == 0)); then
    [[ -f "$root/build-bench/CMakeCache.txt" ]] ||
      cmake -S "$here" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-bench" >/dev/null || die "building the bench tools failed"
  fi
fi
load="$tools/kinesis_load" baseline="$tools/kafka_baseline"
for b in "$kbridge_bin" "$load" "$baseline"; do [[ -x "$b" ]] || die "$b not built (run without --no-build)"; done
[[ -d "$here/node_modules/kinesalite" ]] || die "bench/node_modules/kinesalite missing (run scripts/setup)"
command -v node >/dev/null || die "node not found"

t_start=$SECONDS

# ---- processes -----------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/kbridge-bench.XXXXXX")"
broker_dir="$work/kafka"
kb_pid="" kl_pid="" broker_started=0

alive() { [[ -n "$1" && -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

stop_pid() {  # stop_pid PID NAME: TERM, then KILL after 10 s; only PIDs this script started
  local pid="$1" name="$2"
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 10))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    log "$name (pid $pid) did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  trap - EXIT INT TERM
  stop_pid "$kb_pid" kbridge
  stop_pid "$kl_pid" kinesalite
  ((broker_started)) && "$root/tests/support/kafka_broker.sh" stop "$broker_dir" >/dev/null 2>&1
  if ((keep)); then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_line() {  # wait_line FILE PATTERN PID SECONDS: prints the first line of FILE matching PATTERN
  local file="$1" pattern="$2" pid="$3" deadline=$((SECONDS + $4)) line
  while ((SECONDS < deadline)); do
    line="$(grep -m1 -- "$pattern" "$file" 2>/dev/null || true)"
    [[ -n "$line" ]] && { printf '%s\n' "$line"; return 0; }
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

log "starting a Kafka broker in $broker_dir"
"$root/tests/support/kafka_broker.sh" start "$broker_dir" >/dev/null
broker_started=1
bootstrap="$(cat "$broker_dir/bootstrap")"
broker_pid="$(cat "$broker_dir/pid")"

# BENCH_LINGER_MS: the producer's linger.ms for kbridge (kafka.rdkafka) and raw librdkafka alike.
kb_rdkafka="" raw_extra=()
if [[ -n "${BENCH_LINGER_MS:-}" ]]; then
  kb_rdkafka=",\"rdkafka\":{\"linger.ms\":\"$BENCH_LINGER_MS\"}"
  raw_extra=(--linger-ms "$BENCH_LINGER_MS")
fi
cat >"$work/kbridge.json" <<JSON
{"kinesis":{"listen":"127.0.0.1:0"},"admin":{"listen":"127.0.0.1:0"},"kafka":{"bootstrap_servers":"$bootstrap"$kb_rdkafka}}
JSON
env -u KBRIDGE_BOOTSTRAP "$kbridge_bin" serve --config "$work/kbridge.json" </dev/null >"$work/kbridge.log" 2>&1 &
kb_pid=$!
ready="$(wait_line "$work/kbridge.log" '^kbridge ready ' "$kb_pid" 60)" ||
  { tail -n 20 "$work/kbridge.log" >&2; die "kbridge did not become ready (log above)"; }
kb_url="$(sed -n 's/.* kinesis=\([^ ]*\).*/\1/p' <<<"$ready")"

(cd "$here" && exec node kinesalite.js 0) </dev/null >"$work/kinesalite.log" 2>&1 &
kl_pid=$!
ready="$(wait_line "$work/kinesalite.log" '^kinesalite ready ' "$kl_pid" 30)" ||
  { cat "$work/kinesalite.log" >&2; die "kinesalite did not start"; }
kl_url="${ready##* }"
log "kbridge $kb_url (pid $kb_pid), kinesalite $kl_url (pid $kl_pid), Kafka $bootstrap"

# ---- running workloads ---------------------------------------------------------------------
results="$work/results"
: >"$results"
cap=$((rss_dur + dur + warm + 120))

# run ID SYSTEM COMMAND...: runs one load, appends "ID SYSTEM key=value..." to the results.
run() {
  local id="$1" sys="$2" out rc=0
  shift 2
  out="$("$@" 2>>"$work/loadgen.err")" || rc=$?
  local line
  line="$(grep '^result ' <<<"$out" | tail -n 1 || true)"
  ((rc == 0)) || log "$id $sys: exit status $rc (stderr in $work/loadgen.err: $(tail -n 1 "$work/loadgen.err" 2>/dev/null))"
  [[ -n "$line" ]] && printf '%s %s %s rc=%s\n' "$id" "$sys" "${line#result }" "$rc" >>"$results"
  return 0
}

# Each load run is also bounded from outside (the tools stop by themselves well before).
kb() { timeout "$cap" "$load" --endpoint "$kb_url" --watch-pid "$kb_pid" --broker-pid "$broker_pid" "$@"; }
kl() { timeout "$cap" "$load" --endpoint "$kl_url" --auth --watch-pid "$kl_pid" "$@"; }
raw() { timeout "$cap" "$baseline" --bootstrap "$bootstrap" --broker-pid "$broker_pid" "$@"; }

for s in bench bench-drain; do
  kb --stream "$s" --create-stream 1 >/dev/null || die "CreateStream $s on kbridge failed"
  kl --stream "$s" --create-stream 1 >/dev/null || die "CreateStream $s on kinesalite failed"
done
raw --topic bench-raw --create >/dev/null || die "creating topic bench-raw failed"
raw --topic bench-raw-drain --create >/dev/null || die "creating topic bench-raw-drain failed"
kb --stream bench-backlog --create-stream 1 >/dev/null || die "CreateStream bench-backlog on kbridge failed"
raw --topic bench-raw-backlog --create >/dev/null || die "creating topic bench-raw-backlog failed"

# Does kbridge serve the data plane yet? One PutRecords of one record tells.
kb_data=1
if ! probe="$(timeout 60 "$load" --endpoint "$kb_url" --stream bench --op putrecords --batch 1 --max-records 1 \
  --duration 30 2>&1)"; then
  kb_data=0
  log "kbridge does not serve PutRecords yet: $(grep -m1 'kinesis_load:' <<<"$probe" | cut -c1-160)"
  log "kbridge rows are marked 'pending data plane'"
fi

put_common=(--duration "$dur" --warmup "$warm")
workload() { log "$*"; }

# The broker is a JVM that has only just started: until its JIT has compiled the produce path, the
# first workload measured would pay for it, and the first system of that workload (kbridge) more
# than the last (raw librdkafka). Both write paths run first, unmeasured.
workload "Broker warm-up: ${broker_warm} s of PutRecords (kbridge) and of produce (raw librdkafka), not measured"
warm_common=(--connections 4 --duration "$broker_warm" --warmup 0)
((kb_data)) && kb --stream bench --op putrecords "${warm_common[@]}" >/dev/null 2>>"$work/loadgen.err"
raw --topic bench-raw --mode produce "${warm_common[@]}" "${raw_extra[@]}" >/dev/null 2>>"$work/loadgen.err"

workload "PutRecords 500x100 B, 1 connection (${dur} s each)"
((kb_data)) && run W1 kbridge kb --stream bench --op putrecords --connections 1 "${put_common[@]}"
run W1 kinesalite kl --stream bench --op putrecords --connections 1 "${put_common[@]}"
run W1 librdkafka raw --topic bench-raw --mode produce --connections 1 "${put_common[@]}" "${raw_extra[@]}"

workload "PutRecords 500x100 B, 4 connections"
((kb_data)) && run W2 kbridge kb --stream bench --op putrecords --connections 4 "${put_common[@]}"
run W2 kinesalite kl --stream bench --op putrecords --connections 4 "${put_common[@]}"
run W2 librdkafka raw --topic bench-raw --mode produce --connections 4 "${put_common[@]}" "${raw_extra[@]}"

workload "PutRecord 100 B, 1 connection"
((kb_data)) && run W3 kbridge kb --stream bench --op putrecord --connections 1 "${put_common[@]}"
run W3 kinesalite kl --stream bench --op putrecord --connections 1 "${put_common[@]}"

workload "PutRecord 100 B, 16 connections"
((kb_data)) && run W4 kbridge kb --stream bench --op putrecord --connections 16 "${put_common[@]}"
run W4 kinesalite kl --stream bench --op putrecord --connections 16 "${put_common[@]}"
# Raw librdkafka answering only after Kafka's acknowledgement: 16 workers each producing one record
# and waiting for its delivery report, with kbridge's producer settings. Not a ceiling: without
# kbridge's send gate, librdkafka's broker thread spins once a partition has 5 messages in flight
# (bridge/kafka/send_gate.h), and kbridge goes past it.
run W4 librdkafka raw --topic bench-raw --mode produce --connections 16 --batch 1 "${put_common[@]}" "${raw_extra[@]}"

workload "GetShardIterator TRIM_HORIZON, 1 connection (the control-plane path of a consumer's start)"
((kb_data)) && run W7 kbridge kb --stream bench --op getsharditerator --connections 1 "${put_common[@]}"
run W7 kinesalite kl --stream bench --op getsharditerator --connections 1 "${put_common[@]}"

if ((kb_data)); then
  workload "kbridge RSS over a ${rss_dur} s PutRecords run (4 connections)"
  run W6 kbridge kb --stream bench --op putrecords --connections 4 --duration "$rss_dur" --warmup 0
fi

workload "GetRecords drain of one shard holding $drain_n records (Limit 10000, passes for ${dur} s)"
fill=(--op putrecords --connections 4 --max-records "$drain_n" --duration 120)
((kb_data)) && run F kbridge kb --stream bench-drain "${fill[@]}"
run F kinesalite kl --stream bench-drain "${fill[@]}"
run F librdkafka raw --topic bench-raw-drain --mode produce --connections 4 --max-records "$drain_n" --duration 120
drain=(--op drain --expect "$drain_n" --limit 10000 --duration "$dur")
((kb_data)) && run W5 kbridge kb --stream bench-drain "${drain[@]}"
run W5 kinesalite kl --stream bench-drain "${drain[@]}"
run W5 librdkafka raw --topic bench-raw-drain --mode consume --expect "$drain_n" --duration "$dur"

# A backlog larger than librdkafka's prefetch queue (queued.min.messages, 100,000 records): a
# reader that drains that queue faster than the fetcher refills it meets librdkafka's fetch
# back-off (kafka::wakeFetchers). kinesalite would take minutes to fill, so kbridge and raw only.
workload "GetRecords drain of a $backlog_n-record backlog (kbridge and raw librdkafka; passes for ${dur} s)"
fill=(--op putrecords --connections 4 --max-records "$backlog_n" --duration 120)
((kb_data)) && run F kbridge kb --stream bench-backlog "${fill[@]}"
run F librdkafka raw --topic bench-raw-backlog --mode produce --connections 4 --max-records "$backlog_n" --duration 120
((kb_data)) && run W8 kbridge kb --stream bench-backlog --op drain --expect "$backlog_n" --limit 10000 --duration "$dur"
run W8 librdkafka raw --topic bench-raw-backlog --mode consume --expect "$backlog_n" --duration "$dur"

kb_hwm="$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$kb_pid/status" 2>/dev/null || true)"

# ---- report --------------------------------------------------------------------------------
# val ID SYSTEM KEY: a field of a result line, empty when absent.
val() {
  awk -v id="$1" -v sys="$2" -v key="$3" '
    $1 == id && $2 == sys { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) v = kv[2] } }
    END { print v }' "$results"
}

declare -A names=([W1]="PutRecords 500x100B c=1" [W2]="PutRecords 500x100B c=4" [W3]="PutRecord 100B c=1"
  [W4]="PutRecord 100B c=16" [W5]="GetRecords drain (Limit 10000)" [W6]="PutRecords c=4, ${rss_dur} s"
  [W7]="GetShardIterator c=1 (calls)" [W8]="GetRecords drain, backlog")

echo
echo "kbridge benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Kafka at $bootstrap (1 partition / 1 shard)"
echo "run took $((SECONDS - t_start)) s; workloads ${dur} s each after ${warm} s warm-up; drain of $drain_n records; server CPU % of one core (200 = both)"
echo
row() { printf '%-31s %-10s %10s %7s %8s %8s %8s %7s %7s %8s %6s\n' "$@"; }
row workload system records/s MB/s p50_ms p99_ms srv_cpu% srv_rss kafka% loadgen% errors
row ------------------------------- ---------- ---------- ------- -------- -------- -------- ------- ------- -------- ------
for id in W1 W2 W3 W4 W7 W5 W8 W6; do
  for sys in kbridge kinesalite librdkafka; do
    if [[ "$sys" == kbridge ]] && ((!kb_data)); then
      [[ "$id" == W6 ]] || printf '%-32s %-11s %s\n' "${names[$id]}" kbridge "pending data plane"
      continue
    fi
    rps="$(val "$id" "$sys" records_per_s)"
    [[ -n "$rps" ]] || continue
    p50="$(val "$id" "$sys" p50_ms)" p99="$(val "$id" "$sys" p99_ms)"
    if [[ "$sys" == librdkafka && ("$id" == W5 || "$id" == W8) ]]; then p50=- p99=-; fi
    e1="$(val "$id" "$sys" errors)" e2="$(val "$id" "$sys" failed_records)"
    errs=$((${e1:-0} + ${e2:-0}))
    row "${names[$id]}" "$sys" "$rps" "$(val "$id" "$sys" mb_per_s)" "$p50" "$p99" \
      "$(val "$id" "$sys" cpu_pct)" "$(val "$id" "$sys" rss_max_mb)" "$(val "$id" "$sys" broker_cpu_pct)" \
      "$(val "$id" "$sys" loadgen_cpu_pct)" "$errs"
  done
done
echo "(srv_cpu%/srv_rss: the Kinesis server's process — kbridge or kinesalite's node — from /proc;"
echo " kafka%: the broker JVM's CPU; loadgen%: the load generator's own CPU; all in % of one core)"
if ((kb_data)); then
  echo
  echo "kbridge RSS during the ${rss_dur} s run, MiB every 5 s: $(val W6 kbridge rss_series_mb |
    awk -F, '{ for (i = 5; i <= NF; i += 5) printf "%s%s", (i > 5 ? "," : ""), $i }')"
fi
echo

# ---- targets -------------------------------------------------------------------------------
# target NAME MEASURED OP GOAL UNIT: OP is ">=" or "<="; MEASURED empty = not measured (FAIL).
target() {
  local name="$1" m="$2" op="$3" goal="$4" unit="$5" verdict
  if [[ -z "$m" ]]; then
    echo "target $name n/a $op$goal$unit FAIL"
    return
  fi
  verdict="$(awk -v m="$m" -v g="$goal" -v op="$op" 'BEGIN { ok = (op == ">=") ? (m >= g) : (m <= g); print ok ? "PASS" : "FAIL" }')"
  echo "target $name $(awk -v m="$m" 'BEGIN { printf (m < 10 ? "%.2f" : "%.1f"), m }')$unit $op$goal$unit $verdict"
}
ratio() {  # ratio ID A B: A's records/s over B's, empty when either is missing or B is 0
  local a b
  a="$(val "$1" "$2" records_per_s)" b="$(val "$1" "$3" records_per_s)"
  [[ -n "$a" && -n "$b" ]] && awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.4f", a / b }'
  return 0
}
kbv() { ((kb_data)) && val "$@"; return 0; }

# The issue's PutRecord target reads "≥ 5× kinesalite, p99 ≤ 10 ms at 16 connections": both parts
# are taken at 16 connections. At 1 connection a PutRecord waits for one acks=all round trip to
# Kafka, so that ratio is printed for information only.
info() {  # info NAME RATIO NOTE: a ratio printed for reading, not a target
  local r=n/a
  [[ -n "$2" ]] && r="$(awk -v r="$2" 'BEGIN { printf "%.2fx", r }')"
  echo "info $1 $r ($3)"
}
info putrecord_c1_vs_kinesalite "$(ratio W3 kbridge kinesalite)" "not a target"
info putrecord_c16_librdkafka_vs_kinesalite "$(ratio W4 librdkafka kinesalite)" \
  "raw single-record produce, 16 workers, no send gate"
info putrecord_c16_vs_librdkafka_produce "$(ratio W4 kbridge librdkafka)" "not a target"
info putrecords_c1_librdkafka_vs_kinesalite "$(ratio W1 librdkafka kinesalite)" \
  "the ceiling of putrecords_c1_vs_kinesalite"
info getsharditerator_c1_vs_kinesalite "$(ratio W7 kbridge kinesalite)" \
  "not a target; p50 $(kbv W7 kbridge p50_ms) ms against $(val W7 kinesalite p50_ms) ms"
info getrecords_backlog_vs_librdkafka_consume "$(ratio W8 kbridge librdkafka)" \
  "not a target; $backlog_n records, kbridge p99 per call $(kbv W8 kbridge p99_ms) ms"
target putrecords_c1_vs_kinesalite "$(ratio W1 kbridge kinesalite)" ">=" 20 x
target putrecords_c4_vs_kinesalite "$(ratio W2 kbridge kinesalite)" ">=" 20 x
target putrecords_c1_vs_librdkafka_produce "$(ratio W1 kbridge librdkafka)" ">=" 0.5 x
target putrecords_c4_vs_librdkafka_produce "$(ratio W2 kbridge librdkafka)" ">=" 0.5 x
target putrecord_c16_vs_kinesalite "$(ratio W4 kbridge kinesalite)" ">=" 5 x
target putrecord_c16_p99 "$(kbv W4 kbridge p99_ms)" "<=" 10 ms
target getrecords_drain_vs_kinesalite "$(ratio W5 kbridge kinesalite)" ">=" 10 x
target getrecords_drain_vs_librdkafka_consume "$(ratio W5 kbridge librdkafka)" ">=" 0.5 x
peak=""
((kb_data)) && [[ -n "$kb_hwm" ]] && peak="$(awk -v k="$kb_hwm" 'BEGIN { printf "%.1f", k / 1024 }')"
target kbridge_peak_rss "$peak" "<=" 300 MB
# Flat: RSS at the end of the RSS run at most 10 % (and at least 10 MiB allowed) above RSS at its
# one-third mark, once the producer queue and buffers have reached their steady size.
growth="" allowed=10
if ((kb_data)); then
  series="$(val W6 kbridge rss_series_mb)"
  if [[ -n "$series" && "$series" != - ]]; then
    read -r growth allowed < <(awk -v s="$series" 'BEGIN {
      n = split(s, v, ","); third = v[int(n / 3) + 1]; last = v[n]
      allowed = third * 0.10; if (allowed < 10) allowed = 10
      printf "%.1f %.0f\n", last - third, allowed }')
  fi
fi
target "kbridge_rss_growth_${rss_dur}s" "$growth" "<=" "$allowed" MB
