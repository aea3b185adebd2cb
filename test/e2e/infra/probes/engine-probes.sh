#!/usr/bin/env bash
# Checks on the real engine what generated stacks rely on (run after setup.sh):
#  (i)   build.network "${BUILD_NETWORK:-default}" with default and host
#  (ii)  ARG PIP_INDEX_URL + build.args "${PIP_INDEX_URL:-}" when unset on host
#  (iii) init: true (docker-init)
#  (iv)  three services, identical build:, same image: -> build / up --build
#  (v)   up -d --wait with depends_on service_completed_successfully
#  (vi)  RUN --mount=type=cache / type=bind without a "# syntax=" line
set -Eeuo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck disable=SC1090
source "$ENV_FILE"

work=$(mktemp -d)
cp -r "$INFRA_DIR/probes/project/." "$work/"
cd "$work"
export PYIMAGE_E2E_PYTHON_IMAGE PROBE_INDEX_URL="$PYIMAGE_E2E_INDEX_URL"
unset PIP_INDEX_URL
P=(docker compose -p create-pyimage-probe)
cleanup() {
  "${P[@]}" down -v --rmi all --remove-orphans >/dev/null 2>&1 || true
  [[ -n ${KEEP_PROBE_LOGS:-} ]] && cp "$work"/*.log "$KEEP_PROBE_LOGS"/ 2>/dev/null
  cd /
  rm -rf "$work"
}
trap cleanup EXIT

result() { printf 'PROBE %-6s %s\n' "$1" "$2"; }
in_image() { docker run --rm --entrypoint cat create-pyimage-probe/app:dev "$1"; }

for net in default host; do
  log "BUILD_NETWORK=$net: docker compose build (3 services, one image)"
  if BUILD_NETWORK=$net "${P[@]}" build >build-$net.log 2>&1; then
    result "(i)" "build.network=$net: build ok; 127.0.0.1 index from build: $(in_image /probe-index-reach)"
    result "(ii)" "build.network=$net: inside RUN $(in_image /probe-pip-index-url)"
  else
    result "(i)" "build.network=$net: BUILD FAILED"
    tail -n 30 "build-$net.log"
  fi
  grep -E '^#[0-9]+ .*(--mount|CACHED|DONE)' "build-$net.log" | grep -- '--mount' | head -n 2 || true
done

log "docker compose up -d --build --wait (host build network)"
if BUILD_NETWORK=host "${P[@]}" up -d --build --wait --wait-timeout 120 >up.log 2>&1; then
  result "(iv)" "up --build with 3 identical build sections: ok"
  result "(v)" "up -d --wait with service_completed_successfully: ok ($("${P[@]}" ps -a --format '{{.Service}}={{.State}}' | sort | tr '\n' ' '))"
else
  result "(v)" "up -d --wait FAILED (see below)"
  cat up.log
  "${P[@]}" ps -a
fi
pid1=$("${P[@]}" exec -T app cat /proc/1/cmdline | tr '\0' ' ')
result "(iii)" "init: true -> pid 1 in app is: $pid1"
"${P[@]}" logs migrate | tail -n 2
if grep -q 'mount=type=' build-default.log build-host.log; then
  result "(vi)" "RUN --mount=type=cache + type=bind built without a syntax line (see build logs)"
fi
