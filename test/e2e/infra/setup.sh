#!/usr/bin/env bash
# Idempotent, cached, offline infrastructure for real-engine e2e tests.
#
#   bash test/e2e/infra/setup.sh      # fresh machine: ~minutes; warm: seconds
#   bash test/e2e/infra/teardown.sh   # stops only what setup.sh started
#
# Provides: Docker engine + Compose v2 + buildx (Debian bookworm/trixie),
# stand-in base images (no registry here), a PEP 503 package index built from
# Debian's python3-* packages (no PyPI here), served on 127.0.0.1, and the
# facts the tests need in $CACHE_DIR/e2e.env (also printed on stdout).
#
# Environment knobs (all optional):
#   PYIMAGE_E2E_CACHE_DIR   (default /var/cache/create-pyimage)
#   PYIMAGE_E2E_INDEX_PORT  (default 38080; a free port is used if taken)
#   PYIMAGE_E2E_FORCE=images|wheelhouse|all   rebuild cached artefacts
#   PYIMAGE_E2E_RUN_DIR     (default /run/create-pyimage: pid/port files)
#   PYIMAGE_E2E_IMAGE_NAMESPACE (default create-pyimage-standin)
#   PYIMAGE_E2E_DEBIAN_MIRROR   (default: the archive in this machine's apt sources)
set -Eeuo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap 'rc=$?; log "setup.sh failed (exit $rc) at line $LINENO: $BASH_COMMAND"; exit $rc' ERR

[[ $(id -u) -eq 0 ]] || die "must run as root (apt, dockerd, debootstrap)"
FORCE="${PYIMAGE_E2E_FORCE:-}"
mkdir -p "$CACHE_DIR" "$RUN_DIR"
# One setup.sh at a time on this machine (tests of several sessions may call it).
exec {SETUP_LOCK}>"$RUN_DIR/setup.lock"
if ! flock -n "$SETUP_LOCK"; then
  log "another setup.sh is running; waiting for it"
  flock "$SETUP_LOCK"
fi

# ---------------------------------------------------------------------------
# a. packages
# ---------------------------------------------------------------------------
APT_UPDATED=0
apt_update() {
  ((APT_UPDATED)) && return 0
  log "apt-get update"
  # A broken third-party source must not stop us; a later install fails
  # loudly if Debian's own archive is unreachable.
  apt-get update -q -o Acquire::Retries=3 >&2 || log "WARNING: apt-get update reported errors"
  APT_UPDATED=1
}

apt_install() {
  apt-get install -y -q --no-install-recommends \
    -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold "$@" >&2
}

pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

TRIXIE_SOURCES=/etc/apt/sources.list.d/create-pyimage-trixie.sources
TRIXIE_PREFS=/etc/apt/preferences.d/create-pyimage-trixie

ensure_trixie_source() {
  local want
  apt_archive
  want=$(printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
    "$DEBIAN_MIRROR" "$DEBIAN_KEYRING")
  if [[ ! -f $TRIXIE_SOURCES || $(<"$TRIXIE_SOURCES") != "$want" ]]; then
    log "adding Debian trixie source ($DEBIAN_MIRROR), pinned to priority 100"
    printf '%s\n' "$want" >"$TRIXIE_SOURCES"
    APT_UPDATED=0
  fi
  want=$(printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n')
  if [[ ! -f $TRIXIE_PREFS || $(<"$TRIXIE_PREFS") != "$want" ]]; then
    printf '%s\n' "$want" >"$TRIXIE_PREFS"
  fi
  # trixie's package lists downloaded yet? (cheaper than apt-cache policy)
  if ! compgen -G '/var/lib/apt/lists/*_dists_trixie_*Packages*' >/dev/null; then
    APT_UPDATED=0
    apt_update
  fi
}

# kubectl 1.32 (trixie's kubernetes-client) for `kubectl kustomize` (deploy/k8s renders offline,
# smoke --kube). Any kubectl 1.32 or newer already on PATH is kept (another package may own the binary).
step_kubectl() {
  local minor
  minor=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1) || true
  if [[ -n $minor ]] && ((minor >= 32)); then
    return 0
  fi
  ensure_trixie_source
  apt_update
  log "installing (trixie): kubernetes-client (kubectl 1.32)"
  apt_install -t trixie kubernetes-client
  kubectl version --client >/dev/null 2>&1 || die "kubectl does not run after installing kubernetes-client"
}

step_packages() {
  local missing=() p
  # systemd: only its systemd-analyze, which checks the unit scripts/install-boot.sh writes (nothing boots it).
  for p in shellcheck debootstrap python3 python3-venv ca-certificates patchelf curl systemd; do
    pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    apt_update
    log "installing (bookworm): ${missing[*]}"
    apt_install "${missing[@]}"
  fi

  # The engine, Compose v2 and buildx come from trixie: bookworm's engine is
  # 20.10 (no healthcheck start_interval, which needs >= 25) and its
  # docker-compose is the Python v1.29 that rejects Compose-spec keys.
  missing=()
  if ! pkg_installed docker.io ||
    ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' docker.io)" ge "$MIN_ENGINE"; then
    missing+=(docker.io)
  fi
  pkg_installed docker-buildx || missing+=(docker-buildx)
  if ! pkg_installed docker-compose ||
    [[ $(dpkg-query -W -f='${Version}' docker-compose) != 2.* ]]; then
    missing+=(docker-compose)
  fi
  if ((${#missing[@]})); then
    ensure_trixie_source
    apt_update
    log "installing (trixie): ${missing[*]}"
    apt_install -t trixie "${missing[@]}"
  else
    ensure_trixie_source
  fi

  step_kubectl

  local v
  v=$(docker compose version --short 2>/dev/null) ||
    die "'docker compose' does not work (is the trixie docker-compose package installed?)"
  [[ $v == 2.* || $v == v2.* ]] || die "docker compose is $v, need v2"
  docker buildx version >/dev/null 2>&1 || die "'docker buildx version' fails"
  log "packages ok: compose $v, $(docker buildx version | awk '{print $1, $2}')"
}

# ---------------------------------------------------------------------------
# b. docker engine
# ---------------------------------------------------------------------------
docker_up() { timeout 15 docker info >/dev/null 2>&1; }
server_version() { timeout 15 docker version -f '{{.Server.Version}}' 2>/dev/null; }

# The dockerd we started earlier still runs the binary an upgrade replaced
# (e.g. bookworm's 20.10 after docker.io 26 came from trixie): restart it once.
restart_stale_dockerd() {
  local v
  v=$(server_version) || return 0
  dpkg --compare-versions "${v%%+*}" ge "$MIN_ENGINE" && return 0
  pid_alive "$DOCKERD_PIDFILE" dockerd ||
    die "the running Docker engine is $v (need >= $MIN_ENGINE) and setup.sh did not start it: stop it and rerun"
  log "engine $v predates the installed docker.io; restarting the dockerd we started (containers stop)"
  stop_pidfile "$DOCKERD_PIDFILE" dockerd 60
}

step_dockerd() {
  restart_stale_dockerd
  if docker_up; then
    log "docker engine $(server_version) already answering"
    return 0
  fi
  if ! pid_alive "$DOCKERD_PIDFILE" dockerd; then
    log "starting dockerd (log: $DOCKERD_LOG)"
    start_detached "$DOCKERD_PIDFILE" "$DOCKERD_LOG" dockerd
  else
    log "dockerd we started earlier (pid $(<"$DOCKERD_PIDFILE")) is not answering yet; waiting"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    docker_up && {
      log "docker engine $(server_version) up after ${i}s"
      return 0
    }
    pid_alive "$DOCKERD_PIDFILE" dockerd || {
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited; see $DOCKERD_LOG"
    }
    sleep 1
  done
  tail -n 40 "$DOCKERD_LOG" >&2 || true
  die "docker info still failing after 60s; see $DOCKERD_LOG"
}

# ---------------------------------------------------------------------------
# c. stand-in base images
# ---------------------------------------------------------------------------
# Packages of the debootstrap tree. Changing this list rebuilds the tree.
ROOTFS_INCLUDE="python3,python3-venv,python3-pip,ca-certificates,netbase,tzdata,adduser"

image_label() { # IMAGE LABEL -> value or empty (image missing)
  docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

dir_hash() { # sha256 over the named files/dirs (content + relative names)
  (cd "$INFRA_DIR" && find "$@" -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-16)
}

ensure_rootfs() {
  local stamp="$ROOTFS_DIR/.create-pyimage-complete"
  if [[ -f $stamp && $(<"$stamp") == "$ROOTFS_INCLUDE" ]]; then
    return 0
  fi
  apt_archive
  log "debootstrap bookworm minbase into $ROOTFS_DIR from $DEBIAN_MIRROR (~1 min)"
  rm -rf "$ROOTFS_DIR"
  mkdir -p "$(dirname "$ROOTFS_DIR")"
  debootstrap --variant=minbase --include="$ROOTFS_INCLUDE" \
    bookworm "$ROOTFS_DIR" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 || {
    tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
    die "debootstrap failed; see $CACHE_DIR/debootstrap.log"
  }
  # slim it like the official images: no apt lists, no .debs, no docs
  rm -rf "$ROOTFS_DIR"/var/lib/apt/lists/* "$ROOTFS_DIR"/var/cache/apt/*.bin \
    "$ROOTFS_DIR"/var/cache/apt/archives/*.deb "$ROOTFS_DIR"/var/log/*.log \
    "$ROOTFS_DIR"/usr/share/doc/* "$ROOTFS_DIR"/usr/share/man/* \
    "$ROOTFS_DIR"/usr/share/info/*
  # apt sources like debian:bookworm (main, -updates, -security), pointing at
  # the archives this machine uses
  rm -f "$ROOTFS_DIR/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$DEBIAN_MIRROR"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [[ -n $DEBIAN_SECURITY ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$DEBIAN_SECURITY"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    else
      log "WARNING: no security archive in this machine's apt sources; the stand-ins get none"
    fi
  } >"$ROOTFS_DIR/etc/apt/sources.list.d/debian.sources"
  printf '%s' "$ROOTFS_INCLUDE" >"$stamp"
}

ensure_rootfs_image() {
  local want=$1
  [[ $FORCE != images && $FORCE != all && $(image_label "$ROOTFS_IMAGE" org.create-pyimage.rootfs) == "$want" ]] && return 0
  ensure_rootfs
  log "docker import $ROOTFS_IMAGE"
  tar -C "$ROOTFS_DIR" --numeric-owner --exclude=./.create-pyimage-complete \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
    docker import --change "LABEL org.create-pyimage.rootfs=$want" - "$ROOTFS_IMAGE" >/dev/null
}

build_image() { # TAG CONTEXT_SUBDIR HASH [build-args...]
  local tag=$1 ctx=$2 hash=$3
  shift 3
  log "building $tag"
  DOCKER_BUILDKIT=1 docker build -q --label "org.create-pyimage.context=$hash" \
    "$@" -t "$tag" "$INFRA_DIR/$ctx" >/dev/null
}

# proof_stamp NAME IMAGE -> a file that exists once IMAGE was proven on this
# engine version (a new image id or a new engine proves again).
proof_stamp() {
  local id
  id=$(docker image inspect -f '{{.Id}}' "$2")
  printf '%s/%s-proven.%s.engine-%s' "$CACHE_DIR" "$1" "${id#sha256:}" "$(server_version)"
}

# prove NAME IMAGE CHECKDIR SECRET CHECK_FN: once per image id and engine,
# start CHECKDIR/compose.yaml (the image in PYIMAGE_E2E_<NAME>_IMAGE, a random
# password in ./SECRET unless SECRET is -, readable by the image's non-root
# user; the directory's other files beside it) and run CHECK_FN
# in that directory with $project set; logs on failure, always torn down.
prove() {
  local name=$1 image=$2 checkdir=$3 secret=$4 check=$5 stamp dir rc=0 project
  stamp=$(proof_stamp "$name" "$image")
  [[ -f $stamp ]] && return 0
  project=$(printf '%s' "${IMAGE_NS}-${name}check" | tr -c 'a-z0-9_-' '-')
  log "proving $image under the generated stack's hardening"
  dir=$(mktemp -d)
  cp -R "$INFRA_DIR/$checkdir/." "$dir/"
  if [[ $secret != - ]]; then
    printf 's3cret-%s' "$RANDOM$RANDOM" >"$dir/$secret"
    # a file secret is bind-mounted with this owner and mode: a service with
    # `user: "999:999"` must be able to read it
    chmod 0644 "$dir/$secret"
  fi
  (
    cd "$dir"
    export "PYIMAGE_E2E_${name^^}_IMAGE=$image" project
    docker compose -p "$project" up -d --wait --wait-timeout 120 >&2 && "$check"
  ) || rc=$?
  if ((rc)); then
    (cd "$dir" && docker compose -p "$project" logs --no-color >&2) || true
  fi
  (cd "$dir" && docker compose -p "$project" down -v --remove-orphans >/dev/null 2>&1) || true
  rm -rf "$dir"
  ((rc == 0)) || die "$name stand-in failed its proof (see logs above)"
  touch "$stamp"
  log "$name stand-in proven"
}

check_postgres() { # healthy, scram login over TCP
  docker compose -p "$project" exec -T db sh -ec \
    'PGPASSWORD="$(cat /run/secrets/db_password)" psql -h 127.0.0.1 -U app -d appdb -tAc "select current_user || '"'"'@'"'"' || current_database()"' |
    grep -qx 'app@appdb'
}

check_redis() {
  local svc out
  for svc in redis redis-tmpconf; do
    # password from the file secret; unauthenticated clients are refused
    out=$(docker compose -p "$project" exec -T "$svc" sh -ec \
      'export REDISCLI_AUTH="$(cat /run/secrets/redis_password)"
       redis-cli -h 127.0.0.1 ping
       redis-cli -h 127.0.0.1 set k v >/dev/null
       redis-cli -h 127.0.0.1 get k
       env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 get k 2>&1 || true')
    [[ $out == $'PONG\nv\nNOAUTH'* ]] || { log "$svc answered: $out"; return 1; }
    # the server is PID 1 (gets SIGTERM from docker stop)
    out=$(docker compose -p "$project" exec -T "$svc" cat /proc/1/comm)
    [[ $out == redis-server ]] || { log "$svc: PID 1 is $out"; return 1; }
  done
  # the named volume inherited 999:999 from the image's /data, so a non-root
  # server can save there
  out=$(docker compose -p "$project" exec -T redis sh -ec \
    'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli -h 127.0.0.1 save >/dev/null
     stat -c "%u:%g" /data /data/dump.rdb')
  [[ $out == $'999:999\n999:999' ]] || { log "redis /data: $out"; return 1; }
  # default command, started as root: drops to redis (999) and, like the
  # official image, serves other containers without a password
  out=$(docker compose -p "$project" exec -T redis-default sh -ec \
    'awk "/^Uid:/ { print \$2 }" /proc/1/status; stat -c "%u:%g" /data')
  [[ $out == $'999\n999:999' ]] || { log "redis-default: $out"; return 1; }
  out=$(docker compose -p "$project" exec -T redis redis-cli -h redis-default ping)
  [[ $out == PONG ]] || { log "redis-default over the network: $out"; return 1; }
}

# The stand-in as the generated proxy runs it: non-root on 443 with no
# capabilities, its internal CA's root read from the volume verifies the
# certificate, caddy is 2.6.2, the healthcheck tool (busybox wget) is there.
check_caddy() {
  local out
  out=$(docker run --rm --entrypoint caddy "$PYIMAGE_E2E_CADDY_IMAGE" version)
  [[ $out == *2.6.2* ]] || { log "caddy version: $out"; return 1; }
  docker compose -p "$project" exec -T proxy cat /data/caddy/pki/authorities/local/root.crt >root.crt
  out=$(curl -sS --max-time 10 --cacert root.crt --resolve "standin.internal:${CADDY_CHECK_PORT:-38443}:127.0.0.1" \
    "https://standin.internal:${CADDY_CHECK_PORT:-38443}/")
  [[ $out == "caddy stand-in ok" ]] || { log "https through the stand-in: $out"; return 1; }
  out=$(docker compose -p "$project" exec -T proxy id -u)
  [[ $out == 10001 ]] || { log "proxy runs as $out"; return 1; }
}

check_mariadb() {
  local out
  # the app user logs in over TCP with the password from the file secret (never on a command line)
  out=$(docker compose -p "$project" exec -T db bash -ec \
    'mariadb --defaults-extra-file=<(printf "[client]\npassword=%s\n" "$(cat /run/secrets/db_password)") \
       -h 127.0.0.1 -u app appdb -NBe "select concat(current_user(), \" \", database())"')
  [[ $out == 'app@% appdb' ]] || { log "mariadb app login: $out"; return 1; }
  # the server is PID 1 with uid 999, the named volume belongs to 999:999
  out=$(docker compose -p "$project" exec -T db sh -ec \
    'cat /proc/1/comm; awk "/^Uid:/ { print \$2 }" /proc/1/status; stat -c "%u:%g" /var/lib/mysql')
  [[ $out == $'mariadbd\n999\n999:999' ]] || { log "mariadb db: $out"; return 1; }
  # started as root: drops to mysql (999); root's password came from the file secret
  out=$(docker compose -p "$project" exec -T db-default bash -ec \
    'awk "/^Uid:/ { print \$2 }" /proc/1/status
     mariadb --defaults-extra-file=<(printf "[client]\npassword=%s\n" "$(cat /run/secrets/db_password)") \
       -h 127.0.0.1 -u root -NBe "select 1"')
  [[ $out == $'999\n1' ]] || { log "mariadb db-default: $out"; return 1; }
  # the password is in no environment of the server, and the healthcheck logs in (no warnings)
  out=$(docker compose -p "$project" exec -T db sh -ec 'tr "\0" "\n" </proc/1/environ | grep -cF "$(cat /run/secrets/db_password)" || true')
  [[ $out == 0 ]] || { log "mariadb: the password is in the server's environment"; return 1; }
  out=$(docker compose -p "$project" logs --no-color db | grep -c 'Access denied' || true)
  [[ $out == 0 ]] || { log "mariadb: the healthcheck was denied $out time(s)"; return 1; }
}

step_images() {
  local rootfs_hash py_hash pg_hash redis_hash mariadb_hash caddy_hash
  rootfs_hash=$(printf '%s' "$ROOTFS_INCLUDE" | sha256sum | cut -c1-16)
  ensure_rootfs_image "$rootfs_hash"

  py_hash=$(printf '%s %s' "$rootfs_hash" "$(dir_hash images/python)" | sha256sum | cut -c1-16)
  if [[ $FORCE == images || $FORCE == all || $(image_label "$PYTHON_IMAGE" org.create-pyimage.context) != "$py_hash" ]]; then
    build_image "$PYTHON_IMAGE" images/python "$py_hash" --build-arg "BASE=$ROOTFS_IMAGE"
  fi

  pg_hash=$(printf '%s %s' "$py_hash" "$(dir_hash images/postgres postgres-check)" | sha256sum | cut -c1-16)
  if [[ $FORCE == images || $FORCE == all || $(image_label "$POSTGRES_IMAGE" org.create-pyimage.context) != "$pg_hash" ]]; then
    build_image "$POSTGRES_IMAGE" images/postgres "$pg_hash" --build-arg "BASE=$PYTHON_IMAGE"
  fi
  prove postgres "$POSTGRES_IMAGE" postgres-check db_password check_postgres

  redis_hash=$(printf '%s %s' "$py_hash" "$(dir_hash images/redis redis-check)" | sha256sum | cut -c1-16)
  if [[ $FORCE == images || $FORCE == all || $(image_label "$REDIS_IMAGE" org.create-pyimage.context) != "$redis_hash" ]]; then
    build_image "$REDIS_IMAGE" images/redis "$redis_hash" --build-arg "BASE=$PYTHON_IMAGE"
  fi
  prove redis "$REDIS_IMAGE" redis-check redis_password check_redis

  mariadb_hash=$(printf '%s %s' "$py_hash" "$(dir_hash images/mariadb mariadb-check)" | sha256sum | cut -c1-16)
  if [[ $FORCE == images || $FORCE == all || $(image_label "$MARIADB_IMAGE" org.create-pyimage.context) != "$mariadb_hash" ]]; then
    build_image "$MARIADB_IMAGE" images/mariadb "$mariadb_hash" --build-arg "BASE=$PYTHON_IMAGE"
  fi
  prove mariadb "$MARIADB_IMAGE" mariadb-check db_password check_mariadb

  caddy_hash=$(printf '%s %s' "$rootfs_hash" "$(dir_hash images/caddy caddy-check)" | sha256sum | cut -c1-16)
  if [[ $FORCE == images || $FORCE == all || $(image_label "$CADDY_IMAGE" org.create-pyimage.context) != "$caddy_hash" ]]; then
    build_image "$CADDY_IMAGE" images/caddy "$caddy_hash" --build-arg "BASE=$ROOTFS_IMAGE"
  fi
  prove caddy "$CADDY_IMAGE" caddy-check - check_caddy
  log "images ok: $PYTHON_IMAGE, $POSTGRES_IMAGE, $REDIS_IMAGE, $MARIADB_IMAGE, $CADDY_IMAGE"
}

# ---------------------------------------------------------------------------
# d. local Python package index from Debian's python3-* packages
# ---------------------------------------------------------------------------
WHEELHOUSE_STAMP="$WHEELHOUSE/.create-pyimage-hash"
WHEELHOUSE_BUILT=0
wheelhouse_hash() { sha256sum "$INFRA_DIR/make-wheelhouse.py" | cut -c1-16; }

step_wheelhouse_build() {
  if [[ $FORCE != wheelhouse && $FORCE != all && -f $WHEELHOUSE_STAMP &&
    $(<"$WHEELHOUSE_STAMP") == "$(wheelhouse_hash)" ]]; then
    log "wheelhouse up to date ($WHEELHOUSE)"
    return 0
  fi
  apt_update_if_no_lists
  apt_archive
  log "building wheelhouse from Debian packages (~1 min)"
  local work="$WHEELHOUSE-work"
  rm -rf "$WHEELHOUSE.new"
  "$SYS_PYTHON" "$INFRA_DIR/make-wheelhouse.py" --archive "$DEBIAN_MIRROR" --work "$work" --out "$WHEELHOUSE.new" >&2 || {
    # stale apt lists -> 404 on download: refresh once and retry
    log "make-wheelhouse failed; refreshing apt lists and retrying once"
    APT_UPDATED=0
    apt_update
    rm -rf "$WHEELHOUSE.new"
    "$SYS_PYTHON" "$INFRA_DIR/make-wheelhouse.py" --archive "$DEBIAN_MIRROR" --work "$work" --out "$WHEELHOUSE.new" >&2
  }
  rm -rf "$WHEELHOUSE.old"
  [[ -d $WHEELHOUSE ]] && mv "$WHEELHOUSE" "$WHEELHOUSE.old"
  mv "$WHEELHOUSE.new" "$WHEELHOUSE"
  rm -rf "$WHEELHOUSE.old"
  WHEELHOUSE_BUILT=1
}

apt_update_if_no_lists() {
  compgen -G '/var/lib/apt/lists/*bookworm*_Packages*' >/dev/null || apt_update
}

# After the index is served: install from it into a throwaway venv.
step_wheelhouse_verify() {
  local url=$1 dir rc=0
  log "verifying the index with pip ($url)"
  dir=$(mktemp -d)
  (
    set -Eeuo pipefail
    cd "$dir"
    "$SYS_PYTHON" -m venv venv
    # Isolate from the host's pip configuration: machines here may carry a
    # pip.conf / PIP_FIND_LINKS / extra-index-url pointing at local wheel
    # dirs, which would silently satisfy the checks below.
    unset "${!PIP_@}"
    export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
      PIP_INDEX_URL="$url"
    venv/bin/pip install -q flask gunicorn fastapi uvicorn psycopg2 alembic flask-migrate \
      flask-sqlalchemy sqlalchemy asyncpg databases celery rq redis django whitenoise \
      dj-database-url django-environ python-decouple pymysql mysqlclient
    venv/bin/gunicorn --version
    venv/bin/uvicorn --version
    venv/bin/alembic --version
    venv/bin/flask --version
    venv/bin/python -c 'import psycopg2, fastapi, pydantic, sqlalchemy, flask_migrate, pymysql; print("imports ok", psycopg2.__version__, pymysql.__version__)'
    # pyproject project with setuptools backend, build isolation on, offline
    mkdir -p proj/src/tinyproj
    cat >proj/pyproject.toml <<'EOF'
[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "tinyproj"
version = "0.1.0"
dependencies = ["flask"]

[project.scripts]
tinyproj = "tinyproj:main"
EOF
    printf 'def main():\n    print("tinyproj ok")\n' >proj/src/tinyproj/__init__.py
    venv/bin/pip install -q ./proj
    venv/bin/tinyproj
    # the same through --find-links only
    "$SYS_PYTHON" -m venv venv2
    venv2/bin/pip install -q --no-index --find-links "${url%simple/}files/" flask uvicorn
  ) >&2 || rc=$?
  rm -rf "$dir"
  ((rc == 0)) || die "package index verification failed"
  # Inside the slim stand-in (no Debian -dev/runtime libs besides libc and
  # libstdc++): every compiled extension except psycopg2 (libpq5) and MySQLdb
  # (libmariadb3) must import.
  log "verifying the index inside $PYTHON_IMAGE (network host)"
  docker run --rm --network host -e PIP_INDEX_URL="$url" -e PIP_DISABLE_PIP_VERSION_CHECK=1 \
    -e PIP_NO_CACHE_DIR=1 "$PYTHON_IMAGE" sh -ec '
      python -m venv /tmp/v
      /tmp/v/bin/pip install -q fastapi "uvicorn[standard]" gunicorn flask flask-migrate \
        sqlalchemy greenlet markupsafe pyyaml wrapt "redis[hiredis]" psycopg asyncpg \
        "databases[asyncpg]" "databases[postgresql]" "celery[redis]" rq django whitenoise \
        dj-database-url django-environ python-decouple python-dateutil pymysql mysqlclient
      /tmp/v/bin/pip check
      /tmp/v/bin/python -c "import uvloop, httptools, yaml, greenlet, markupsafe._speedups, wrapt._wrappers, sqlalchemy.cimmutabledict, pydantic, fastapi, flask_migrate, redis, hiredis, asyncpg, databases, celery, kombu, billiard, vine, amqp, click_didyoumean, click_repl, click_plugins, prompt_toolkit, dateutil, pytz, rq, django, sqlparse, asgiref, whitenoise, dj_database_url, environ, decouple, pymysql; from yaml import CSafeLoader; print(\"in-image imports ok\")"
      /tmp/v/bin/celery --version
      /tmp/v/bin/rq --version
      /tmp/v/bin/django-admin --version
      # a worker starts (in-memory broker, so no Redis needed here)
      cd /tmp
      printf "from celery import Celery\napp = Celery(\"x\", broker=\"memory://\")\n" >x.py
      /tmp/v/bin/celery -A x worker --pool=solo -l info >w.log 2>&1 &
      i=0
      until grep -q " ready" w.log; do
        i=$((i + 1))
        [ "$i" -lt 60 ] || { cat w.log; exit 1; }
        sleep 0.5
      done
      kill $! && echo "celery worker started"
    ' >&2 || die "package index verification inside $PYTHON_IMAGE failed"
}

# ---------------------------------------------------------------------------
# e. serve the index on 127.0.0.1
# ---------------------------------------------------------------------------
INDEX_PORT=""
index_answers() { http_ok "http://127.0.0.1:$1/simple/flask/" "create-pyimage-index"; }

port_free() {
  ! "$SYS_PYTHON" -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

free_port() {
  "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

step_index_server() {
  local port=$INDEX_DEFAULT_PORT i
  [[ -s $INDEX_PORTFILE ]] && port=$(<"$INDEX_PORTFILE")
  # ours, and serving this wheelhouse (not an older setup.sh's directory)?
  if index_answers "$port" && pid_alive "$INDEX_PIDFILE" "--directory $WHEELHOUSE "; then
    INDEX_PORT=$port
    log "package index already served on 127.0.0.1:$port"
    return 0
  fi
  stop_pidfile "$INDEX_PIDFILE" http.server 5
  port=$INDEX_DEFAULT_PORT
  if ! port_free "$port"; then
    port=$(free_port)
    log "port $INDEX_DEFAULT_PORT is taken by something else; using $port"
  fi
  log "serving $WHEELHOUSE on 127.0.0.1:$port (log: $INDEX_LOG)"
  start_detached "$INDEX_PIDFILE" "$INDEX_LOG" \
    "$SYS_PYTHON" -m http.server --bind 127.0.0.1 --directory "$WHEELHOUSE" "$port"
  for ((i = 0; i < 50; i++)); do
    if index_answers "$port"; then
      INDEX_PORT=$port
      printf '%s\n' "$port" >"$INDEX_PORTFILE"
      return 0
    fi
    pid_alive "$INDEX_PIDFILE" http.server || break
    sleep 0.2
  done
  tail -n 20 "$INDEX_LOG" >&2 || true
  die "package index server did not answer on 127.0.0.1:$port"
}

# ---------------------------------------------------------------------------
# f. facts for the tests
# ---------------------------------------------------------------------------
step_env_file() {
  local tmp="$ENV_FILE.tmp"
  {
    printf 'PYIMAGE_E2E_PYTHON_IMAGE=%s\n' "$PYTHON_IMAGE"
    printf 'PYIMAGE_E2E_PYTHON_VERSION=%s\n' 3.11
    printf 'PYIMAGE_E2E_POSTGRES_IMAGE=%s\n' "$POSTGRES_IMAGE"
    printf 'PYIMAGE_E2E_POSTGRES_VERSION=%s\n' 15
    printf 'PYIMAGE_E2E_REDIS_IMAGE=%s\n' "$REDIS_IMAGE"
    printf 'PYIMAGE_E2E_CADDY_IMAGE=%s\n' "$CADDY_IMAGE"
    printf 'PYIMAGE_E2E_MARIADB_IMAGE=%s\n' "$MARIADB_IMAGE"
    printf 'PYIMAGE_E2E_MARIADB_VERSION=%s\n' 10.11
    printf 'PYIMAGE_E2E_INDEX_URL=%s\n' "http://127.0.0.1:$INDEX_PORT/simple/"
    printf 'PYIMAGE_E2E_FIND_LINKS=%s\n' "http://127.0.0.1:$INDEX_PORT/files/"
    printf 'PYIMAGE_E2E_WHEELHOUSE=%s\n' "$WHEELHOUSE"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
  cat "$ENV_FILE"
}

main() {
  local t
  t=$SECONDS
  step_packages
  log "step a (packages) done in $((SECONDS - t))s"
  t=$SECONDS
  step_dockerd
  log "step b (dockerd) done in $((SECONDS - t))s"
  t=$SECONDS
  step_images
  log "step c (images) done in $((SECONDS - t))s"
  t=$SECONDS
  step_wheelhouse_build
  step_index_server
  if ((WHEELHOUSE_BUILT)); then
    step_wheelhouse_verify "http://127.0.0.1:$INDEX_PORT/simple/"
    wheelhouse_hash >"$WHEELHOUSE_STAMP"
  fi
  log "steps d+e (index) done in $((SECONDS - t))s"
  step_env_file
  source "$INFRA_DIR/podman.sh" && step_podman # Podman 5 beside Docker; appends PODMAN facts to e2e.env
  log "setup.sh finished in $(elapsed)"
}

main "$@"
