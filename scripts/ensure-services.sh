#!/usr/bin/env bash
# Makes sure a Redis and a PostgreSQL answer on the local defaults; starts the installed ones if they are stopped.
# Used by .ci/run; harmless to run by hand. Does nothing when REDIS_URL / DATABASE_URL point elsewhere and answer.
set -euo pipefail

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
postgres_up() { pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1; }

wait_for() { # name, check-function
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  echo "ensure-services: $1 did not come up" >&2
  return 1
}

if redis_up; then
  echo "ensure-services: redis is up"
elif command -v redis-server >/dev/null; then
  echo "ensure-services: starting redis-server"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis redis_up
else
  echo "ensure-services: no Redis on 127.0.0.1:6379 and redis-server is not installed" >&2
  exit 1
fi

if postgres_up; then
  echo "ensure-services: postgres is up"
elif command -v pg_ctlcluster >/dev/null; then
  echo "ensure-services: starting postgres"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  wait_for postgres postgres_up
else
  echo "ensure-services: no PostgreSQL on 127.0.0.1:5432 and it is not installed" >&2
  exit 1
fi
