#!/usr/bin/env bash
# Benchmarks kbridge's handler runtime (event source mappings, issue 4) on a local single-node
# Kafka broker that this script starts in a temporary directory, and prints `result` lines, a
# small table and `target <name> <measured> <goal> PASS|FAIL` lines:
#
#  1. latency: put -> webhook delivery with max_batching_window_ms 0. kbridge runs a mapping
#     (webhook handler, LATEST, batch_size 100) whose webhook is an HTTP server inside
#     mapping_bench; mapping_bench sends MAP_BENCH_RATE records/s for MAP_BENCH_DURATION s (PutRecords
#     of MAP_BENCH_PUT_BATCH records, one connection) with the send time in each record's data.
#  2. throughput: a 1-shard stream filled with MAP_BENCH_RECORDS records of 100 B is read once by a
#     raw librdkafka group consumer and once per row by a kbridge whose only mapping has the `null`
#     handler (TRIM_HORIZON, batch_size 10000, then 100), in alternating rounds. Both are timed from
#     the moment 10 % of the records are read to the last one: rate = records / time.
#
#   bench/mappings.sh [--no-build] [--keep] [--quick]
#
#   --no-build   use the binaries already built (build/bin/kbridge or KBRIDGE_BIN, and the bench tools)
#   --keep       keep the work directory (logs, configs, raw result lines)
#   --quick      3 s of latency load and 100,000 records (checks the harness; figures are rough)
#
# Environment: KBRIDGE_BIN, MAP_BENCH_RECORDS (default 500000), MAP_BENCH_RATE (500),
# MAP_BENCH_DURATION (10), MAP_BENCH_PUT_BATCH (5), MAP_BENCH_BATCH_SIZES ("10000 100"),
# MAP_BENCH_ROUNDS (3: alternating raw / kbridge rounds, medians reported), MAP_BENCH_SKIP (0.1: the
# leading share of the records each reader is not timed on, its ramp-up).
#
# Everything listens on 127.0.0.1 only; every load and wait is bounded in time; the broker, the
# kbridge instances and mapping_bench are stopped by the PIDs this script started, also on Ctrl-C
# or failure.
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
    *) echo "bench/mappings.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

n_records="${MAP_BENCH_RECORDS:-500000}" rate="${MAP_BENCH_RATE:-500}"
lat_dur="${MAP_BENCH_DURATION:-10}" put_batch="${MAP_BENCH_PUT_BATCH:-5}"
batch_sizes="${MAP_BENCH_BATCH_SIZES:-10000 100}"
rounds="${MAP_BENCH_ROUNDS:-3}" skip="${MAP_BENCH_SKIP:-0.1}"
if ((quick)); then n_records=100000 lat_dur=3 rounds=1; fi
((n_records % 500 == 0)) || { echo "bench/mappings.sh: MAP_BENCH_RECORDS must be a multiple of 500" >&2; exit 2; }

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# ---- build ---------------------------------------------------------------------------------
kbridge_bin="${KBRIDGE_BIN:-$root/build/bin/kbridge}"
if grep -qE '^[[:space:]]*add_subdirectory\(bench\)' "$root/CMakeLists.txt"; then
  tools="$root/build/bin"
  main_targets=(kinesis_load mapping_bench)
else
  tools="$root/build-bench/bin"
  main_targets=()
fi
if ((build)); then
  "$root/scripts/setup"  # Debian packages and broker jars; quick when all is there
  if [[ -z "${KBRIDGE_BIN:-}" ]] || ((${#main_targets[@]})); then
    [[ -f "$root/build/CMakeCache.txt" ]] || cmake --preset default -S "$root" >/dev/null
    targets=("${main_targets[@]}")
    [[ -z "${KBRIDGE_BIN:-}" ]] && targets+=(kbridge)
    log "building ${targets[*]}"
    (cd "$root" && cmake --build --preset default --target "${targets[@]}") >"$root/build/bench-mappings-build.log" 2>&1 ||
      { tail -n 40 "$root/build/bench-mappings-build.log" >&2; die "build failed (log: build/bench-mappings-build.log)"; }
  fi
  if ((${#main_targets[@]} == 0)); then
    [[ -f "$root/build-bench/CMakeCache.txt" ]] ||
      cmake -S "$here" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-bench" >/dev/null || die "building the bench tools failed"
  fi
fi
load="$tools/kinesis_load" mb="$tools/mapping_bench"
for b in "$kbridge_bin" "$load" "$mb"; do [[ -x "$b" ]] || die "$b not built (run without --no-build)"; done

t_start=$SECONDS

# ---- processes -----------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/kbridge-mapbench.XXXXXX")"
broker_dir="$work/kafka"
kb_pid="" lat_pid="" step_pid="" broker_started=0

alive() { [[ -n "$1" && -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

stop_pid() {  # stop_pid PID NAME: TERM, then KILL after 15 s; only PIDs this script started
  local pid="$1" name="$2"
  alive "$pid" || { [[ -n "$pid" ]] && wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 15))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    log "$name (pid $pid) did not stop within 15 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  trap - EXIT INT TERM
  stop_pid "$step_pid" "step"
  stop_pid "$lat_pid" mapping_bench
  stop_pid "$kb_pid" kbridge
  ((broker_started)) && "$root/tests/support/kafka_broker.sh" stop "$broker_dir" >/dev/null 2>&1
  if ((keep)); then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step OUT ERR COMMAND...: runs COMMAND in the background with stdout/stderr to files and waits for
# it. Unlike a foreground command, `wait` returns at once on Ctrl-C or TERM, so the trap stops
# everything (step_pid included) without waiting for the step to end.
step() {
  local out="$1" err="$2" rc=0
  shift 2
  "$@" >"$out" 2>"$err" &
  step_pid=$!
  wait "$step_pid" || rc=$?
  step_pid=""
  return "$rc"
}

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
broker_started=1  # (stop on a half-started broker is harmless)
step /dev/null "$work/broker-start.err" "$root/tests/support/kafka_broker.sh" start "$broker_dir" ||
  { cat "$work/broker-start.err" >&2; die "the Kafka broker did not start"; }
bootstrap="$(cat "$broker_dir/bootstrap")"
broker_pid="$(cat "$broker_dir/pid")"

# start_kbridge NAME MAPPINGS_JSON: writes NAME.json, starts kbridge (kb_pid), sets kb_url/admin_url.
start_kbridge() {
  local name="$1" mappings="$2" ready
  cat >"$work/$name.json" <<JSON
{"kinesis":{"listen":"127.0.0.1:0"},"admin":{"listen":"127.0.0.1:0"},"kafka":{"bootstrap_servers":"$bootstrap"},
 "mappings":$mappings}
JSON
  env -u KBRIDGE_BOOTSTRAP "$kbridge_bin" serve --config "$work/$name.json" </dev/null >"$work/$name.log" 2>&1 &
  kb_pid=$!
  ready="$(wait_line "$work/$name.log" '^kbridge ready ' "$kb_pid" 60)" ||
    { tail -n 20 "$work/$name.log" >&2; die "kbridge ($name) did not become ready (log above)"; }
  kb_url="$(sed -n 's/.* kinesis=\([^ ]*\).*/\1/p' <<<"$ready")"
  admin_url="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' <<<"$ready")"
  [[ -n "$kb_url" && -n "$admin_url" ]] || die "cannot read the endpoints from: $ready"
  log "kbridge $name: $kb_url, admin $admin_url (pid $kb_pid)"
}

results="$work/results"
: >"$results"
# record ID: appends the last `result` line of stdin, prefixed with ID, to the results.
record() {
  local line
  line="$(grep '^result ' | tail -n 1 || true)"
  [[ -n "$line" ]] && printf '%s %s\n' "$1" "${line#result }" >>"$results"
  return 0
}

lat_stream=bench-map-latency tput_stream=bench-map-tput

# ---- 1. latency ----------------------------------------------------------------------------
log "latency: webhook mapping, ${rate} records/s for ${lat_dur} s (PutRecords of ${put_batch}), window 0"
lat_cap=$((lat_dur + 300))
timeout "$lat_cap" "$mb" latency --port-file "$work/webhook.port" --endpoints-file "$work/endpoints" \
  --stream "$lat_stream" --mapping lat --rate "$rate" --duration "$lat_dur" --put-batch "$put_batch" \
  --drain-timeout 30 --ready-timeout 180 --broker-pid "$broker_pid" >"$work/latency.out" 2>"$work/latency.err" &
lat_pid=$!
deadline=$((SECONDS + 30))
while [[ ! -s "$work/webhook.port" ]]; do
  alive "$lat_pid" && ((SECONDS < deadline)) || { cat "$work/latency.err" >&2; die "mapping_bench latency did not start"; }
  sleep 0.05
done
hook_port="$(cat "$work/webhook.port")"
start_kbridge kbridge-latency "[{\"name\":\"lat\",\"stream\":\"$lat_stream\",
  \"handler\":{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:$hook_port/\",\"timeout_ms\":10000},
  \"starting_position\":\"LATEST\",\"batch_size\":100,\"max_batching_window_ms\":0}]"
for s in "$lat_stream" "$tput_stream"; do
  step /dev/null "$work/create.err" timeout 90 "$load" --endpoint "$kb_url" --stream "$s" --create-stream 1 ||
    { cat "$work/create.err" >&2; die "CreateStream $s failed"; }
done
echo "kinesis=$kb_url admin=$admin_url pid=$kb_pid" >"$work/endpoints.tmp" && mv "$work/endpoints.tmp" "$work/endpoints"
lat_rc=0
wait "$lat_pid" || lat_rc=$?
lat_pid=""
record LAT <"$work/latency.out"
((lat_rc == 0)) || log "latency run: exit status $lat_rc: $(tail -n 3 "$work/latency.err" | tr '\n' ' ')"

# ---- 2. throughput -------------------------------------------------------------------------
log "filling $tput_stream with $n_records records of 100 B (PutRecords, 4 connections)"
step "$work/fill.out" "$work/fill.err" timeout 300 "$load" --endpoint "$kb_url" --stream "$tput_stream" \
  --op putrecords --connections 4 --max-records "$n_records" --duration 240 ||
  { cat "$work/fill.err" >&2; die "filling $tput_stream failed"; }
stop_pid "$kb_pid" kbridge
kb_pid=""

# Alternating rounds: the raw consumer, then one fresh kbridge per batch size (a new mapping name,
# so a new consumer group starting at TRIM_HORIZON). The report takes each row's median.
for ((round = 1; round <= rounds; round++)); do
  log "round $round/$rounds: raw librdkafka group consumer, $n_records records from the beginning"
  step "$work/raw-$round.out" "$work/raw-$round.err" timeout 300 "$mb" raw-consume --bootstrap "$bootstrap" \
    --topic "$tput_stream" --expect "$n_records" --skip "$skip" --timeout 240 --broker-pid "$broker_pid" ||
    log "raw consume: $(tail -n 2 "$work/raw-$round.err" | tr '\n' ' ')"
  record "RAW.$round" <"$work/raw-$round.out"
  for bs in $batch_sizes; do
    log "round $round/$rounds: kbridge, null handler, batch_size $bs, $n_records records from TRIM_HORIZON"
    name="null-$bs-r$round"
    start_kbridge "kbridge-$name" "[{\"name\":\"$name\",\"stream\":\"$tput_stream\",
      \"handler\":{\"type\":\"null\"},\"starting_position\":\"TRIM_HORIZON\",\"batch_size\":$bs,
      \"max_batching_window_ms\":0}]"
    step "$work/$name.out" "$work/$name.err" timeout 400 "$mb" watch --admin "$admin_url" --mapping "$name" \
      --expect "$n_records" --interval-ms 20 --skip "$skip" --timeout 300 --watch-pid "$kb_pid" \
      --broker-pid "$broker_pid" --series "$work/$name.series" ||
      log "$name: $(tail -n 2 "$work/$name.err" | tr '\n' ' ')"
    record "NULL$bs.$round" <"$work/$name.out"
    stop_pid "$kb_pid" kbridge
    kb_pid=""
  done
done

# ---- report --------------------------------------------------------------------------------
val() {  # val ID KEY: a field of a result line, empty when absent
  awk -v id="$1" -v key="$2" '
    $1 == id { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) v = kv[2] } }
    END { print v }' "$results"
}
med() {  # med ID KEY: the median of KEY over the rounds ID.1, ID.2, ...; empty when none
  awk -v id="$1" -v key="$2" '
    index($1, id ".") == 1 && substr($1, length(id) + 2) ~ /^[0-9]+$/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key && kv[2] != "") v[n++] = kv[2] + 0 } }
    END {
      if (!n) exit
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
      printf (m == int(m)) ? "%d\n" : (m >= 10 ? "%.1f\n" : "%.3f\n"), m }' "$results"
}
all() {  # all ID KEY: KEY of every round, comma-separated
  awk -v id="$1" -v key="$2" '
    index($1, id ".") == 1 { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) s = s (s ? "," : "") kv[2] } }
    END { print s }' "$results"
}

echo
echo "kbridge handler runtime benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Kafka at $bootstrap (1 partition / 1 shard)"
echo "run took $((SECONDS - t_start)) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
sed 's/^/result id=/' "$results"
echo
echo "latency put -> webhook (window 0, batch_size 100, ${rate} records/s for ${lat_dur} s, PutRecords of ${put_batch}, 1 connection):"
if [[ -n "$(val LAT sent)" ]]; then
  printf '  sent %s  delivered %s  duplicates %s  p50 %s ms  p90 %s ms  p99 %s ms  max %s ms\n' \
    "$(val LAT sent)" "$(val LAT delivered)" "$(val LAT duplicates)" "$(val LAT p50_ms)" "$(val LAT p90_ms)" \
    "$(val LAT p99_ms)" "$(val LAT max_ms)"
  printf '  of which after the PutRecords answer: p50 %s ms  p99 %s ms; PutRecords itself: p50 %s ms  p99 %s ms\n' \
    "$(val LAT after_ack_p50_ms)" "$(val LAT after_ack_p99_ms)" "$(val LAT put_p50_ms)" "$(val LAT put_p99_ms)"
  printf '  %s webhook POSTs, %s records per POST (max %s); kbridge CPU %s%%, broker CPU %s%% of one core\n' \
    "$(val LAT posts)" "$(val LAT records_per_post)" "$(val LAT max_post_records)" "$(val LAT cpu_pct)" \
    "$(val LAT broker_cpu_pct)"
else
  echo "  not measured (see the log above)"
fi
echo
echo "throughput, $n_records records of 100 B in one shard, median of $rounds round(s), timed after the first $(awk -v s="$skip" 'BEGIN { printf "%g", s * 100 }') %:"
row() { printf '  %-42s %10s %7s %6s %7s %11s  %s\n' "$@"; }
row reader records/s secs cpu% kafka% invocations "records/s of each round"
row "raw librdkafka group consumer" "$(med RAW records_per_s)" "$(med RAW secs)" "$(med RAW consumer_cpu_pct)" \
  "$(med RAW broker_cpu_pct)" - "$(all RAW records_per_s)"
for bs in $batch_sizes; do
  row "kbridge mapping, null handler, batch $bs" "$(med "NULL$bs" records_per_s)" "$(med "NULL$bs" secs)" \
    "$(med "NULL$bs" cpu_pct)" "$(med "NULL$bs" broker_cpu_pct)" "$(med "NULL$bs" invocations)" "$(all "NULL$bs" records_per_s)"
done
echo "  (cpu%: the reading process — kbridge or the raw consumer — over the timed window, % of one core;"
echo "   kafka%: the broker JVM; invocations: handler calls for all $n_records records)"
echo

target() {  # target NAME MEASURED OP GOAL UNIT
  local name="$1" m="$2" op="$3" goal="$4" unit="$5" verdict
  if [[ -z "$m" ]]; then echo "target $name n/a $op$goal$unit FAIL"; return; fi
  verdict="$(awk -v m="$m" -v g="$goal" -v op="$op" 'BEGIN { ok = (op == ">=") ? (m >= g) : (m <= g); print ok ? "PASS" : "FAIL" }')"
  echo "target $name $(awk -v m="$m" 'BEGIN { printf (m < 10 ? "%.2f" : "%.1f"), m }')$unit $op$goal$unit $verdict"
}
first_bs="${batch_sizes%% *}"
raw_rps="$(med RAW records_per_s)" kb_rps="$(med "NULL$first_bs" records_per_s)"
ratio=""
[[ -n "$raw_rps" && -n "$kb_rps" ]] && ratio="$(awk -v a="$kb_rps" -v b="$raw_rps" 'BEGIN { if (b > 0) printf "%.4f", a / b }')"
target mapping_throughput_vs_librdkafka "$ratio" ">=" 0.5 x
for bs in ${batch_sizes#"$first_bs"}; do
  r="$(med "NULL$bs" records_per_s)"
  [[ -n "$r" && -n "$raw_rps" ]] &&
    echo "info mapping_throughput_batch${bs}_vs_librdkafka $(awk -v a="$r" -v b="$raw_rps" 'BEGIN { printf "%.2fx", a / b }') (not a target)"
done
sent="$(val LAT sent)" delivered="$(val LAT delivered)"
if [[ -n "$sent" && "$sent" -gt 0 && "$sent" == "$delivered" ]]; then
  echo "target mapping_latency_delivered_vs_sent $delivered/$sent ==sent PASS"
else
  echo "target mapping_latency_delivered_vs_sent ${delivered:-n/a}/${sent:-n/a} ==sent FAIL"
fi
echo "info mapping_latency_p50 $(val LAT p50_ms)ms (no goal)"
echo "info mapping_latency_p99 $(val LAT p99_ms)ms (no goal)"
echo "info mapping_latency_max $(val LAT max_ms)ms (no goal)"
