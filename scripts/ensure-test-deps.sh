#!/usr/bin/env bash
# Everything the test suite needs beyond npm packages, installed or started only when missing
# (idempotent): the OpenStack tools and the data plane's (nftables, dnsmasq, dhclient, tcpdump) from
# Debian's packages, and a loopback Keystone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/ensure-openstack-tools.sh"
bash "$here/ensure-dataplane-tools.sh"
bash "$here/keystone.sh" start >/dev/null
