#!/usr/bin/env bash
# Installs the Query-protocol client the tests in test/query drive: boto3/botocore 1.34.89, the
# last release whose SQS model speaks "protocol":"query" (1.34.90 moved SQS to JSON). Into a
# venv at test/query/.venv (gitignored). Idempotent: does nothing when it is already there.
#   bash test/query/setup.sh
set -euo pipefail
cd "$(dirname "$0")"
BOTO_VERSION=1.34.89
PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "setup.sh: $PY not found; the Query client tests will be skipped" >&2
  exit 0
fi
if [ -x .venv/bin/python ] && .venv/bin/python -c "import botocore, sys; sys.exit(botocore.__version__ != '$BOTO_VERSION')" 2>/dev/null; then
  exit 0
fi
rm -rf .venv
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  "boto3==$BOTO_VERSION" "botocore==$BOTO_VERSION"
.venv/bin/python -c "import botocore; print('query client: botocore', botocore.__version__)"
