#!/bin/sh
# Run once by the member that bootstraps the cluster: the database jointcase uses.
set -eu
psql "$1" -v ON_ERROR_STOP=1 -v db="${POSTGRES_DB:-jointcase}" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
