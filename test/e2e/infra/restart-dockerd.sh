#!/usr/bin/env bash
# Restarts the Docker engine the way a host shutdown and boot do: SIGTERM to dockerd (containers
# get SIGTERM as at shutdown), wait until it has exited, then start it again detached, as setup.sh
# does, and put back what the rest of the infra needs from it (podman's bridges past Docker's
# FORWARD chain). Used by test/e2e/engine-restart.e2e.test.ts, which must run alone: every other
# container on this engine is stopped too. Prints the seconds dockerd took to exit.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA_DIR/podman.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (it stops and starts dockerd)"
pid=$(pgrep -x dockerd | head -n1 || true)
[[ -n $pid ]] || die "no dockerd is running"
started=$SECONDS
log "SIGTERM to dockerd (pid $pid)"
kill -TERM "$pid"
for ((i = 0; i < 120 * 5; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not exit within 120 s"
stopped=$((SECONDS - started))
log "dockerd exited after ${stopped}s; starting it again (log: $DOCKERD_LOG)"
# Its pid file and socket are gone with it; containerd (separate) keeps running.
rm -f /var/run/docker.pid
start_detached "$DOCKERD_PIDFILE" "$DOCKERD_LOG" dockerd
for ((i = 0; i < 60; i++)); do
  if timeout 15 docker info >/dev/null 2>&1; then
    podman_beside_docker
    log "docker engine answers again after ${i}s"
    printf '%s\n' "$stopped"
    exit 0
  fi
  pid_alive "$DOCKERD_PIDFILE" dockerd || { tail -n 40 "$DOCKERD_LOG" >&2; die "dockerd exited; see $DOCKERD_LOG"; }
  sleep 1
done
die "docker info still failing 60 s after the restart; see $DOCKERD_LOG"
