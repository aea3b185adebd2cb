# shellcheck shell=bash
# Podman 5 for the real-engine e2e tests. Sourced by setup.sh (step_podman, after the e2e.env facts
# are written) and teardown.sh (podman_stop); it uses their helpers (lib.sh, apt_install, ...).
#
# What this host needs (../shared docs, section 7, seen here):
# - podman 5.4 from trixie (bookworm's 4.3 fails with "error setting rlimits");
# - runc, not crun ("cgroups in hybrid mode not supported"), and catatonit for --init;
# - default_ulimits that fit this sandbox (podman asks for limits above the hard limits here);
# - the Docker-compatible API socket, so Compose v2 runs as `podman compose`'s provider;
# - the stand-in images, copied from Docker (nothing can be pulled here).
# Idempotent: a warm run checks and returns in about a second.

PODMAN_SOCKET_PATH=/run/podman/podman.sock
PODMAN_PIDFILE="$RUN_DIR/podman-service.pid"
PODMAN_LOG="$LOG_DIR/create-pyimage-podman.log"
PODMAN_CONF=/etc/containers/containers.conf
# Not an error here: this host runs cgroups v1/hybrid, and the warning would litter every output.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1

podman_packages() {
  local missing=() p
  for p in podman runc catatonit aardvark-dns; do
    pkg_installed "$p" || missing+=("$p")
  done
  if pkg_installed podman && [[ $(dpkg-query -W -f='${Version}' podman) != 5.* ]]; then
    missing+=(podman)
  fi
  ((${#missing[@]})) || return 0
  ensure_trixie_source
  apt_update
  log "installing (trixie): ${missing[*]} (podman 5 brings trixie's libc with it)"
  # The apt lock may be held by another set-up run on this machine: wait for it.
  apt_install -o DPkg::Lock::Timeout=600 -t trixie "${missing[@]}"
}

podman_config() {
  local want
  # Limits podman asks for must fit this sandbox's hard limits, or every run fails
  # ("error setting rlimit type 7"); a normal host does not need these lines.
  want=$(printf '%s\n' \
    '# Written by create-pyimage test/e2e/infra/podman.sh' \
    '[containers]' \
    "default_ulimits = [\"nofile=$(ulimit -Sn):$(ulimit -Hn)\", \"nproc=$(ulimit -Su):$(ulimit -Hu)\"]" \
    '' \
    '[engine]' \
    '# crun fails on this host (cgroups in hybrid mode); runc works.' \
    'runtime = "runc"' \
    '# podman compose runs Compose v2, without a banner on stderr.' \
    'compose_providers = ["/usr/libexec/docker/cli-plugins/docker-compose"]' \
    'compose_warning_logs = false' \
    '' \
    '[network]' \
    '# iptables, like dockerd beside it (the nftables driver also needs the nft binary).' \
    'firewall_driver = "iptables"')
  if [[ ! -f $PODMAN_CONF || $(<"$PODMAN_CONF") != "$want" ]]; then
    log "writing $PODMAN_CONF (runtime runc, ulimits of this sandbox)"
    mkdir -p "$(dirname "$PODMAN_CONF")"
    printf '%s\n' "$want" >"$PODMAN_CONF"
    # a service started with the old settings must not keep serving them
    stop_pidfile "$PODMAN_PIDFILE" "podman system service" 10
  fi
}

# dockerd sets the FORWARD policy to DROP, and with br_netfilter that also drops traffic between
# containers on a podman bridge (an internal network gets no ACCEPT rule from netavark). Let
# podman's bridges through Docker's chain; netavark's own rules still isolate internal networks.
podman_beside_docker() {
  local rule
  iptables -S DOCKER-USER >/dev/null 2>&1 || return 0
  for rule in '-i podman+ -j ACCEPT' '-o podman+ -j ACCEPT'; do
    # shellcheck disable=SC2086 # the rule is words on purpose
    iptables -C DOCKER-USER $rule 2>/dev/null || iptables -I DOCKER-USER $rule
  done
}

podman_socket_answers() {
  timeout 15 podman --url "unix://$PODMAN_SOCKET_PATH" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

podman_service() {
  local i
  if podman_socket_answers; then
    return 0
  fi
  stop_pidfile "$PODMAN_PIDFILE" "podman system service" 10
  rm -f "$PODMAN_SOCKET_PATH"
  mkdir -p "$(dirname "$PODMAN_SOCKET_PATH")"
  log "starting podman system service on $PODMAN_SOCKET_PATH (log: $PODMAN_LOG)"
  start_detached "$PODMAN_PIDFILE" "$PODMAN_LOG" \
    podman system service --time=0 "unix://$PODMAN_SOCKET_PATH"
  for ((i = 0; i < 100; i++)); do
    podman_socket_answers && return 0
    pid_alive "$PODMAN_PIDFILE" "podman" || break
    sleep 0.2
  done
  tail -n 20 "$PODMAN_LOG" >&2 || true
  die "the podman API socket does not answer; see $PODMAN_LOG"
}

# Copies a Docker image into podman's storage when podman lacks that image id; prints the name
# podman gives it (docker-archive loads come back with a registry prefix).
podman_image_from_docker() {
  local image=$1 id loaded
  id=$(docker image inspect -f '{{.Id}}' "$image") || die "docker has no image $image"
  for loaded in "localhost/$image" "docker.io/$image" "$image"; do
    if [[ $(podman image inspect -f '{{.Id}}' "$loaded" 2>/dev/null) == "${id#sha256:}" ]]; then
      printf '%s\n' "$loaded"
      return 0
    fi
  done
  log "copying $image from docker to podman"
  loaded=$(docker save "$image" | podman load -q) || die "podman load of $image failed"
  loaded=${loaded##*: }
  [[ -n $loaded ]] || die "podman load of $image printed no image name"
  printf '%s\n' "$loaded"
}

step_podman() {
  local t=$SECONDS py pg redis='' version
  podman_packages
  podman_config
  podman_service
  podman_beside_docker
  py=$(podman_image_from_docker "$PYTHON_IMAGE")
  pg=$(podman_image_from_docker "$POSTGRES_IMAGE")
  if docker image inspect "$IMAGE_NS/redis:7-bookworm" >/dev/null 2>&1; then
    redis=$(podman_image_from_docker "$IMAGE_NS/redis:7-bookworm")
  fi
  version=$(podman version --format '{{.Client.Version}}')
  {
    printf 'PYIMAGE_E2E_PODMAN_VERSION=%s\n' "$version"
    printf 'PYIMAGE_E2E_PODMAN_SOCKET=%s\n' "unix://$PODMAN_SOCKET_PATH"
    printf 'PYIMAGE_E2E_PODMAN_PYTHON_IMAGE=%s\n' "$py"
    printf 'PYIMAGE_E2E_PODMAN_POSTGRES_IMAGE=%s\n' "$pg"
    [[ -z $redis ]] || printf 'PYIMAGE_E2E_PODMAN_REDIS_IMAGE=%s\n' "$redis"
  } | tee -a "$ENV_FILE"
  log "step p (podman $version, runc, API socket, images) done in $((SECONDS - t))s"
}

podman_stop() {
  stop_pidfile "$PODMAN_PIDFILE" "podman system service" 30
}
