#!/usr/bin/env bash
# Everything the test suite needs beyond npm packages, installed only when missing (idempotent).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/ensure-openstack-cli.sh"
