#!/bin/sh
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d):
# one database and one owner role per consumer, so MLflow and the platform cannot touch each other's data.
set -eu

psql -v ON_ERROR_STOP=1 \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set=mlflow_password="${MLFLOW_DB_PASSWORD:-mlflow}" \
  --set=purchase_password="${PURCHASE_DB_PASSWORD:-purchase}" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'mlflow_password';
CREATE DATABASE mlflow OWNER mlflow;
REVOKE ALL ON DATABASE mlflow FROM PUBLIC;

CREATE ROLE purchase LOGIN PASSWORD :'purchase_password';
CREATE DATABASE purchase OWNER purchase;
REVOKE ALL ON DATABASE purchase FROM PUBLIC;
SQL
