# shellcheck shell=bash disable=SC2034 # variables are used by the sourcing scripts
# Shared settings and helpers for test/e2e/infra/{setup,teardown}.sh.
# Sourced, never executed.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${PYIMAGE_E2E_CACHE_DIR:-/var/cache/create-pyimage}"
RUN_DIR="${PYIMAGE_E2E_RUN_DIR:-/run/create-pyimage}"
LOG_DIR="${PYIMAGE_E2E_LOG_DIR:-/var/log}"
ENV_FILE="$CACHE_DIR/e2e.env"

DOCKERD_PIDFILE="$RUN_DIR/dockerd.pid"
DOCKERD_LOG="$LOG_DIR/create-pyimage-dockerd.log"
INDEX_PIDFILE="$RUN_DIR/index-server.pid"
INDEX_PORTFILE="$RUN_DIR/index-server.port"
INDEX_LOG="$LOG_DIR/create-pyimage-index.log"
# (a setup.sh before 2026-11-30 built "$CACHE_DIR/wheelhouse" from an older
# package list; a different directory lets an older checkout's setup.sh find
# its own, still up to date, instead of both rebuilding in turn)
WHEELHOUSE="$CACHE_DIR/pyindex"
INDEX_DEFAULT_PORT="${PYIMAGE_E2E_INDEX_PORT:-38080}"

IMAGE_NS="${PYIMAGE_E2E_IMAGE_NAMESPACE:-create-pyimage-standin}"
PYTHON_IMAGE="$IMAGE_NS/python:3.11-slim-bookworm"
POSTGRES_IMAGE="$IMAGE_NS/postgres:15-bookworm"
REDIS_IMAGE="$IMAGE_NS/redis:7-bookworm"
CADDY_IMAGE="$IMAGE_NS/caddy:2-bookworm"
MARIADB_IMAGE="$IMAGE_NS/mariadb:10.11"
ROOTFS_IMAGE="$IMAGE_NS/bookworm-rootfs:py311"
ROOTFS_DIR="$CACHE_DIR/rootfs/bookworm-py311"
# The Debian archive comes from this machine's apt sources (apt_archive below);
# PYIMAGE_E2E_DEBIAN_MIRROR overrides the main archive URI.
DEBIAN_MIRROR="" DEBIAN_SECURITY="" DEBIAN_KEYRING=""

# healthcheck start_interval needs engine >= 25 (trixie has 26.1)
MIN_ENGINE=25

# Debian's interpreter, not whatever pyenv/asdf shim is first on PATH.
SYS_PYTHON=/usr/bin/python3

export DEBIAN_FRONTEND=noninteractive

log() { printf '[e2e-infra %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# elapsed seconds since the script started, for step timings
elapsed() { printf '%ss' "$SECONDS"; }

# pid_alive PIDFILE NAME -> 0 if the pid in PIDFILE runs and its command line
# mentions NAME (guards against a recycled pid).
pid_alive() {
  local pidfile=$1 name=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# start_detached PIDFILE LOGFILE CMD... : start CMD as a daemon with every
# inherited descriptor closed (stdin=/dev/null, stdout/stderr=LOGFILE), in a
# new session, and record its pid. A daemon that keeps an inherited copy of a
# CI runner's pipe open stops the CI step from ever ending.
start_detached() {
  local pidfile=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  "$SYS_PYTHON" "$INFRA_DIR/detach.py" "$pidfile" "$logfile" "$@"
}

# stop_pidfile PIDFILE NAME [TIMEOUT]: TERM (then KILL) the process recorded in
# PIDFILE if it is still the one we started; remove the pid file.
stop_pidfile() {
  local pidfile=$1 name=$2 timeout=${3:-30} pid i
  if pid_alive "$pidfile" "$name"; then
    pid=$(<"$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored TERM for ${timeout}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# http_ok URL [NEEDLE]: 0 if URL answers 200 (and its body contains NEEDLE).
http_ok() {
  "$SYS_PYTHON" - "$@" <<'PY' 2>/dev/null
import sys, urllib.request
url = sys.argv[1]
needle = sys.argv[2] if len(sys.argv) > 2 else ""
try:
    with urllib.request.urlopen(url, timeout=3) as r:
        body = r.read().decode("utf-8", "replace")
        sys.exit(0 if r.status == 200 and needle in body else 1)
except Exception:
    sys.exit(1)
PY
}

# apt_archive: set DEBIAN_MIRROR (main archive URI), DEBIAN_SECURITY (security
# archive URI, may stay empty) and DEBIAN_KEYRING from this machine's apt
# sources: deb822 /etc/apt/sources.list.d/*.sources, or one-line
# /etc/apt/sources.list and sources.list.d/*.list. Prefers the entry for the
# machine's own suite (bookworm) over others (e.g. the trixie one we add).
# Dies with a clear message when no Debian archive is configured.
apt_archive() {
  [[ -n $DEBIAN_MIRROR ]] && return 0
  local found
  found=$("$SYS_PYTHON" - <<'PY'
import glob, os, re
etc = os.environ.get("APT_ETC", "/etc/apt")  # for testing this parser
default_key = "/usr/share/keyrings/debian-archive-keyring.gpg"
entries = []  # (uri, suites, keyring)
for path in sorted(glob.glob(f"{etc}/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path, encoding="utf-8").read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
            continue
        key = fields.get("signed-by", "")
        key = key if key.startswith("/") else default_key
        for uri in fields.get("uris", "").split():
            entries.append((uri, fields.get("suites", "").split(), key))
for path in [f"{etc}/sources.list", *sorted(glob.glob(f"{etc}/sources.list.d/*.list"))]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)", line)
        if m:
            key = re.search(r"signed-by=(\S+)", m.group(1) or "")
            entries.append((m.group(2), [m.group(3)], key.group(1) if key else default_key))
def pick(want):
    for suite in ("bookworm", None):
        for uri, suites, key in entries:
            if any(want(s) and (suite is None or s.split("-")[0] == suite) for s in suites):
                return uri.rstrip("/"), key
    return "", ""
main, key = pick(lambda s: s.split("-")[-1] not in ("security", "updates", "backports"))
security, _ = pick(lambda s: s.endswith("-security"))
print(main or "-", security or "-", key or "-")
PY
)
  read -r DEBIAN_MIRROR DEBIAN_SECURITY DEBIAN_KEYRING <<<"$found"
  [[ $DEBIAN_MIRROR == - ]] && DEBIAN_MIRROR=""
  [[ $DEBIAN_SECURITY == - ]] && DEBIAN_SECURITY=""
  [[ -n ${PYIMAGE_E2E_DEBIAN_MIRROR:-} ]] && DEBIAN_MIRROR=${PYIMAGE_E2E_DEBIAN_MIRROR%/}
  [[ -n $DEBIAN_MIRROR ]] || die "no Debian archive in this machine's apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list): add one (Types: deb, URIs: <archive>, Suites: bookworm) or set PYIMAGE_E2E_DEBIAN_MIRROR"
  return 0
}
