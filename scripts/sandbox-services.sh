#!/usr/bin/env bash
# Make the sandbox ready on this machine (root, Debian): bubblewrap, debootstrap, a running
# Docker engine, then the sandbox's root file system and Docker image, built once and cached
# (ARDOISE_SANDBOX_CACHE, see docs/sandbox-images.md). Safe to run again: it only does what is
# missing. It never skips: whatever it cannot do fails the script, in CI (CI=true) or not.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

DOCKERD_LOG=/var/log/ardoise-dockerd.log
DOCKERD_WAIT_SECONDS=60

fail() {
  echo "sandbox-services: $*" >&2
  [ "${CI:-}" = "true" ] && echo "sandbox-services: failing the CI job (CI=true)" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || fail "$1 needs root; run this script as root"
}

engine_answers() { docker info >/dev/null 2>&1; }

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
  need_root "installing ${missing[*]}"
  echo "sandbox-services: installing ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi

if ! engine_answers; then
  need_root "starting the Docker engine"
  echo "sandbox-services: starting dockerd (log: $DOCKERD_LOG)"
  # No bridge and no iptables rules: sandbox containers run with network_mode=none anyway.
  setsid dockerd --bridge=none --iptables=false </dev/null >>"$DOCKERD_LOG" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 "$DOCKERD_WAIT_SECONDS"); do
    engine_answers && break
    kill -0 "$dockerd_pid" 2>/dev/null || break  # it gave up: say why now, not in a minute
    sleep 1
  done
  engine_answers || fail "the Docker engine did not answer (waited up to ${DOCKERD_WAIT_SECONDS} s); \
the end of $DOCKERD_LOG:
$(tail -n 20 "$DOCKERD_LOG" 2>/dev/null)"
fi

[ -x .venv/bin/python ] || fail ".venv is missing: run scripts/setup.sh test first"
.venv/bin/python -c '
import docker
from sandbox.images import build_all
build_all(docker.from_env())
' || fail "building the sandbox root file system or image failed (see above)"
