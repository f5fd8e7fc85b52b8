#!/usr/bin/env bash
# Installs Debian's python3-openstackclient when the `openstack` command is missing; does nothing
# when it is there. Non-interactive, safe to run again.
set -euo pipefail
if command -v openstack >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "openstack CLI missing and not root: install python3-openstackclient" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing python3-openstackclient (Debian) for the openstack CLI test..." >&2
if ! apt-get install -y -qq python3-openstackclient >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq python3-openstackclient >/dev/null
fi
command -v openstack >/dev/null
