#!/usr/bin/env sh
# Deploys {{name}}: checks the project and its production configuration, runs the tests, then
# generates the deployment (docker, k8s or helm; docker by default) with `hyp deploy`.
#     scripts/deploy.sh [docker|k8s|helm]
set -eu
cd "$(dirname "$0")/.."
PROFILE="${HYP_PROFILE:-prod}"
TARGET="${1:-docker}"

hyp validate
hyp config validate --profile "$PROFILE"
hyp test
hyp deploy "$TARGET" --profile "$PROFILE"
