#!/usr/bin/env bash
# Runs a command against a fresh local Redis Cluster: brings one up (scripts/redis-cluster.sh), runs the command with
# REDIS_CLUSTER_NODES exported, tears the cluster down whatever happens, and exits with the command's code.
#
#   scripts/with-redis-cluster.sh npx jest --config jest.config.js --selectProjects integration
#
# The cluster gets its own directory, so it neither reuses nor stops one started by hand with `npm run cluster:up`.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command...>" >&2
  exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
BRAIN_CLUSTER_DIR="$(mktemp -d /tmp/brain-redis-cluster.XXXXXX)"
export BRAIN_CLUSTER_DIR
# Leave the default ports to a cluster started by hand.
export BRAIN_CLUSTER_BASE_PORT="${BRAIN_CLUSTER_BASE_PORT:-7201}"

cleanup() { bash "$here/redis-cluster.sh" down || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

line="$(bash "$here/redis-cluster.sh" up)"
export "${line?}"
echo "with-redis-cluster: ${line}" >&2

set +e
"$@"
code=$?
set -e
exit "$code"
