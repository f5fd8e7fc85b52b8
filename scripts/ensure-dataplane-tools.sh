#!/usr/bin/env bash
# The Linux data plane's tools and what its namespace tests drive VMs with, from Debian's packages:
# nftables, dnsmasq (DHCP and router advertisements), iproute2; dhclient, ping, arping and tcpdump
# for the VMs and the underlay capture; conntrack to end a floating IP's connections when it moves;
# radvd for a router's advertisements on its IPv6 subnets; haproxy for the metadata proxy. Idempotent: nothing installed twice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/ensure-openstack-tools.sh" iproute2 nftables dnsmasq-base isc-dhcp-client iputils-ping iputils-arping tcpdump util-linux conntrack radvd haproxy
