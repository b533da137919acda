#!/usr/bin/env bash
# Starts and stops a single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from the jars
# that scripts/setup put in the cache. Used by the ctest fixture `kafka` and by scripts/run.
#
#   kafka_broker.sh start DIR [--persistent] [--port P] [--controller-port C]
#   kafka_broker.sh stop DIR [--keep]
#   kafka_broker.sh status DIR
#
# start (default, ephemeral): wipes DIR, picks two free loopback ports, formats, starts the broker in
#   the background, waits until it serves requests (at most 60 s) and writes DIR/bootstrap
#   ("127.0.0.1:PORT"). --persistent keeps DIR/data across runs (formatting only once), uses ports
#   9092/9093 unless given, and reuses a broker that is already running from DIR.
# stop: TERM to the PID in DIR/pid, KILL after 20 s. An ephemeral broker's data is then removed unless
#   --keep is given or DIR/failed exists (tests create it when they fail); the log is always kept.
# Processes are only ever signalled by the PID recorded in DIR/pid, after checking that it is still
# this broker's JVM.
#
# Environment: KBRIDGE_KAFKA_LIBS (directory of broker jars), KBRIDGE_KAFKA_HEAP (default 512m),
# KBRIDGE_KAFKA_START_TIMEOUT (seconds, default 60).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/versions.env
. "$root/scripts/versions.env"
libs="${KBRIDGE_KAFKA_LIBS:-${KBRIDGE_CACHE:-$HOME/.cache/kbridge}/kafka-$KAFKA_VERSION/libs}"
start_timeout="${KBRIDGE_KAFKA_START_TIMEOUT:-60}"

die() { printf 'kafka_broker.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

# is_ours PID: the process exists, is not a zombie, and is the broker JVM started from $dir.
is_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/server.properties"
}

recorded_pid() { [[ -f "$dir/pid" ]] && cat "$dir/pid" || true; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_ports() {
  # Binds two sockets at once so the two ports differ; the small race with other processes that
  # pick ports at the same moment is acceptable for tests.
  "${KBRIDGE_PYTHON:-python3}" - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# The JVM command line shared by the storage tool and the broker.
java_cmd() {
  java_cmd=(java -Xmx"${KBRIDGE_KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true
    -Dkafka.logs.dir="$dir" -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$libs/*")
}

write_config() {
  local port="$1" cport="$2"
  cat >"$dir/server.properties" <<PROPS
# Written by tests/support/kafka_broker.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
PROPS
  cp "$here/kafka-log4j.properties" "$dir/log4j.properties"
}

cmd_start() {
  local persistent=0 port="" cport=""
  while (($#)); do
    case "$1" in
      --persistent) persistent=1 ;;
      --port) port="${2:?--port needs a value}"; shift ;;
      --controller-port) cport="${2:?--controller-port needs a value}"; shift ;;
      *) usage ;;
    esac
    shift
  done
  [[ -d "$libs" && -n "$(ls "$libs" 2>/dev/null)" ]] ||
    die "no Kafka jars in $libs (run scripts/setup, or set KBRIDGE_KAFKA_LIBS)"
  command -v java >/dev/null || die "java not found (run scripts/setup)"

  local old
  old="$(recorded_pid)"
  if [[ -n "$old" ]] && is_ours "$old"; then
    if ((persistent)) && [[ -f "$dir/bootstrap" ]]; then
      echo "kafka broker already running (pid $old) at $(cat "$dir/bootstrap")"
      return 0
    fi
    cmd_stop --keep >/dev/null
  fi

  if ((persistent)); then
    port="${port:-9092}"
    cport="${cport:-9093}"
    mkdir -p "$dir"
    rm -f "$dir/bootstrap" "$dir/pid" "$dir/failed"
    echo persistent >"$dir/mode"
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    echo ephemeral >"$dir/mode"
    if [[ -z "$port" || -z "$cport" ]]; then
      local ports
      ports="$(free_ports)" || die "could not pick free ports (python3 needed)"
      port="${port:-${ports% *}}"
      cport="${cport:-${ports#* }}"
    fi
  fi
  port_open "$port" && die "port $port is already in use"
  write_config "$port" "$cport"

  java_cmd
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local uuid
    uuid="$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>>"$dir/kafka.out")" ||
      die "StorageTool random-uuid failed (see $dir/kafka.out)"
    "${java_cmd[@]}" kafka.tools.StorageTool format -t "$uuid" -c "$dir/server.properties" \
      >>"$dir/kafka.out" 2>&1 || die "formatting the log directory failed (see $dir/kafka.out)"
  fi

  # setsid: own session, so a Ctrl-C in the terminal of scripts/run reaches only kbridge's script,
  # which stops the broker itself after kbridge. No inherited stdout/stderr, so ctest does not wait.
  local lines_before=0
  [[ -f "$dir/kafka.log" ]] && lines_before="$(wc -l <"$dir/kafka.log")"
  setsid "${java_cmd[@]}" kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/kafka.out" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/pid"

  # Ready = the JVM logged "Kafka Server started" (KRaft: after the broker registered and caught up
  # with the metadata log) and the client port accepts connections.
  local deadline=$((SECONDS + start_timeout))
  until tail -n +"$((lines_before + 1))" "$dir/kafka.log" 2>/dev/null | grep -q 'Kafka Server started' &&
    port_open "$port"; do
    if ! is_ours "$pid"; then
      tail -n 30 "$dir/kafka.out" "$dir/kafka.log" >&2 2>/dev/null || true
      die "broker exited during start-up (log: $dir/kafka.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/kafka.log" >&2 2>/dev/null || true
      cmd_stop --keep >&2 || true
      die "broker not ready after ${start_timeout}s (log: $dir/kafka.log)"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port" >"$dir/bootstrap"
  echo "kafka broker started (pid $pid) at 127.0.0.1:$port, log $dir/kafka.log"
}

cmd_stop() {
  local keep=0
  while (($#)); do
    case "$1" in
      --keep) keep=1 ;;
      *) usage ;;
    esac
    shift
  done
  local pid
  pid="$(recorded_pid)"
  if [[ -n "$pid" ]] && is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while is_ours "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if is_ours "$pid"; then
      echo "kafka broker (pid $pid) did not stop within 20 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/pid" "$dir/bootstrap"
  [[ -d "$dir" ]] || return 0
  if [[ "$(cat "$dir/mode" 2>/dev/null)" == ephemeral ]] && ((!keep)) && [[ ! -f "$dir/failed" ]]; then
    rm -rf "$dir/data"
    echo "kafka broker stopped; log kept: $dir/kafka.log"
  else
    echo "kafka broker stopped; data and log kept in $dir (log: $dir/kafka.log)"
  fi
}

cmd_status() {
  local pid
  pid="$(recorded_pid)"
  if [[ -n "$pid" ]] && is_ours "$pid"; then
    echo "running (pid $pid) at $(cat "$dir/bootstrap" 2>/dev/null || echo '?')"
  else
    echo "not running"
    return 1
  fi
}

(($# >= 2)) || usage
action="$1"
dir="$2"
shift 2
[[ "$dir" == /* ]] || dir="$PWD/$dir"
dir="${dir%/}"
case "$action" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status ;;
  *) usage ;;
esac
