# shellcheck shell=bash
# Shared by scripts/setup, scripts/run and scripts/test; sourced, never run.
# Defines the repository root, the cache layout and small helpers. No side effects.

KBRIDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KBRIDGE_CACHE="${KBRIDGE_CACHE:-$HOME/.cache/kbridge}"

# shellcheck source=scripts/versions.env
. "$KBRIDGE_ROOT/scripts/versions.env"

KBRIDGE_KAFKA_LIBS="${KBRIDGE_KAFKA_LIBS:-$KBRIDGE_CACHE/kafka-$KAFKA_VERSION/libs}"
KBRIDGE_AWS_JAVA_SDK_LIBS="${KBRIDGE_AWS_JAVA_SDK_LIBS:-$KBRIDGE_CACHE/aws-java-sdk-$AWS_JAVA_SDK_VERSION/libs}"
KBRIDGE_VENV="${KBRIDGE_VENV:-$KBRIDGE_CACHE/venv}"
export KBRIDGE_CACHE KBRIDGE_KAFKA_LIBS KBRIDGE_AWS_JAVA_SDK_LIBS KBRIDGE_VENV

kb_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
kb_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Runs a command quietly; on failure prints its output and the command, then exits.
kb_quiet() {
  local out
  out="$(mktemp)"
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    kb_die "failed: $*"
  fi
  rm -f "$out"
}

# Prints the comment block at the top of the running script (its usage text).
kb_usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; }
