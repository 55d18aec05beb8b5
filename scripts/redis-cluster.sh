#!/usr/bin/env bash
# A local 3-master Redis Cluster from the installed redis-server, for `npm run test:cluster` and by hand.
#
#   scripts/redis-cluster.sh up      start it (or reuse the one already running), print REDIS_CLUSTER_NODES=...
#   scripts/redis-cluster.sh down    stop it and remove its directory
#   scripts/redis-cluster.sh status  print REDIS_CLUSTER_NODES=... and exit 0 if it is up and healthy
#
# Settings (environment):
#   BRAIN_CLUSTER_DIR        where the nodes keep their files, pids and logs (default /tmp/brain-redis-cluster);
#                            `up` writes $BRAIN_CLUSTER_DIR/cluster.env with the REDIS_CLUSTER_NODES line
#   BRAIN_CLUSTER_BASE_PORT  first port tried (default 7101); busy ports (or busy bus ports, port+10000) are skipped
#   BRAIN_CLUSTER_MASTERS    number of masters (default 3)
# Nodes run like production wants Redis for Brain (maxmemory-policy noeviction) but without persistence: they hold
# test data only.
set -euo pipefail

DIR="${BRAIN_CLUSTER_DIR:-/tmp/brain-redis-cluster}"
BASE_PORT="${BRAIN_CLUSTER_BASE_PORT:-7101}"
MASTERS="${BRAIN_CLUSTER_MASTERS:-3}"
HOST=127.0.0.1
ENV_FILE="$DIR/cluster.env"
case "$DIR" in
  /tmp/?* | /var/tmp/?*) ;;
  *)
    # `down` removes the directory: never point it at anything but a temp dir.
    echo "redis-cluster: BRAIN_CLUSTER_DIR must be under /tmp or /var/tmp (got '$DIR')" >&2
    exit 2
    ;;
esac

log() { echo "redis-cluster: $*" >&2; }

# The ports of the running cluster, from its directory (one subdirectory per node, named after its port).
node_ports() {
  [ -d "$DIR" ] || return 0
  find "$DIR" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' -printf '%f\n' | sort -n
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

node_pid() { cat "$DIR/$1/redis.pid" 2>/dev/null || true; }

cluster_ok() { # port
  redis-cli -h "$HOST" -p "$1" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'
}

nodes_line() {
  local ports
  ports=$(node_ports | sed "s/^/$HOST:/" | paste -sd, -)
  echo "REDIS_CLUSTER_NODES=$ports"
}

healthy() {
  local ports count=0
  ports=$(node_ports)
  [ -n "$ports" ] || return 1
  for port in $ports; do
    cluster_ok "$port" || return 1
    count=$((count + 1))
  done
  [ "$count" -eq "$MASTERS" ]
}

wait_until() { # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "timed out after ${seconds}s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

stop_node() { # port
  local port=$1 pid
  pid=$(node_pid "$port")
  redis-cli -h "$HOST" -p "$port" shutdown nosave >/dev/null 2>&1 || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    wait_until 5 "node $port to stop" bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  fi
}

down() {
  for port in $(node_ports); do stop_node "$port"; done
  rm -rf "$DIR"
  log "down"
}

start_node() { # port
  local port=$1 node_dir="$DIR/$1"
  mkdir -p "$node_dir"
  redis-server --port "$port" --bind "$HOST" --protected-mode no --daemonize yes \
    --dir "$node_dir" --pidfile "$node_dir/redis.pid" --logfile "$node_dir/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
    --save '' --appendonly no --maxmemory-policy noeviction
}

up() {
  if healthy; then
    log "already up"
  else
    # A half-started or crashed cluster from an earlier run: start over.
    if [ -n "$(node_ports)" ]; then down; fi
    mkdir -p "$DIR"
    local ports=() port=$BASE_PORT
    while [ "${#ports[@]}" -lt "$MASTERS" ]; do
      if [ "$port" -gt 55000 ]; then
        log "no free ports from $BASE_PORT"
        exit 1
      fi
      # Cluster nodes also listen on port+10000 (the cluster bus).
      if ! port_busy "$port" && ! port_busy $((port + 10000)); then ports+=("$port"); fi
      port=$((port + 1))
    done
    for port in "${ports[@]}"; do start_node "$port"; done
    for port in "${ports[@]}"; do
      wait_until 10 "node $port" bash -c "redis-cli -h $HOST -p $port ping 2>/dev/null | grep -q PONG"
    done
    redis-cli --cluster create $(printf "$HOST:%s " "${ports[@]}") --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 || {
      cat "$DIR/create.log" >&2
      down
      exit 1
    }
    for port in "${ports[@]}"; do wait_until 20 "cluster_state:ok on $port" cluster_ok "$port"; done
    log "up on ports ${ports[*]} (files in $DIR)"
  fi
  nodes_line >"$ENV_FILE"
  cat "$ENV_FILE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    healthy || {
      log "not running"
      exit 1
    }
    nodes_line
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
