#!/bin/sh
# Starts Patroni with this container's name and the credentials from .env; refuses the example
# passwords, as jointcase does.
set -eu
for name in POSTGRES_PASSWORD POSTGRES_REPLICATION_PASSWORD; do
  eval "value=\${$name:-}"
  case "$value" in
    ""|*change-me*|*example*|*CHANGE*)
      echo "error: $name is empty or still the example value: generate one with \`jointcase keys generate\`" >&2
      exit 1 ;;
  esac
done
host="$(hostname)"
export PATRONI_NAME="${PATRONI_NAME:-$host}"
export PATRONI_RESTAPI_CONNECT_ADDRESS="$host:8008"
export PATRONI_POSTGRESQL_CONNECT_ADDRESS="$host:5432"
export PATRONI_SUPERUSER_USERNAME="$POSTGRES_USER"
export PATRONI_SUPERUSER_PASSWORD="$POSTGRES_PASSWORD"
export PATRONI_REPLICATION_USERNAME=replicator
export PATRONI_REPLICATION_PASSWORD="$POSTGRES_REPLICATION_PASSWORD"
exec patroni /etc/patroni/patroni.yml
