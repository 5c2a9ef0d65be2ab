#!/bin/sh
# Writes MLflow's basic-auth configuration (https://mlflow.org/docs/latest/auth/) and starts the server with it.
# Anonymous requests get nothing (default_permission NO_PERMISSIONS); the admin is created from the environment on
# first start. ML engineers get users of their own through MLflow's auth API or UI, as that page describes.
set -eu
if [ -z "${MLFLOW_ADMIN_PASSWORD:-}" ] && [ -n "${MLFLOW_ADMIN_PASSWORD_FILE:-}" ]; then
  MLFLOW_ADMIN_PASSWORD="$(cat "$MLFLOW_ADMIN_PASSWORD_FILE")"
fi
[ -n "${MLFLOW_ADMIN_PASSWORD:-}" ] || { echo "set MLFLOW_ADMIN_PASSWORD (or MLFLOW_ADMIN_PASSWORD_FILE)" >&2; exit 2; }
umask 077
mkdir -p /mlflow
cat > /mlflow/basic_auth.ini <<INI
[mlflow]
default_permission = NO_PERMISSIONS
database_uri = sqlite:////mlflow/basic_auth.db
admin_username = ${MLFLOW_ADMIN_USERNAME:-admin}
admin_password = ${MLFLOW_ADMIN_PASSWORD}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
export MLFLOW_AUTH_CONFIG_PATH=/mlflow/basic_auth.ini
exec mlflow server --app-name basic-auth "$@"
