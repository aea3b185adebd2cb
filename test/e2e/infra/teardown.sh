#!/usr/bin/env bash
# Stop what test/e2e/infra/setup.sh started (index server, dockerd), by pid
# file, and nothing else. Idempotent; safe to call from an EXIT trap even when
# setup.sh never ran or failed half way. Caches and images are kept.
set -Eeuo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rc=0
stop_pidfile "$INDEX_PIDFILE" http.server 10 || rc=1
rm -f "$INDEX_PORTFILE"
# shellcheck source=podman.sh source-path=SCRIPTDIR
source "$INFRA_DIR/podman.sh" && { podman_stop || rc=1; }
# dockerd stops its containers (10 s grace each) and its own containerd
stop_pidfile "$DOCKERD_PIDFILE" dockerd 60 || rc=1
log "teardown done"
exit "$rc"
