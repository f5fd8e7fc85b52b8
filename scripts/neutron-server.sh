#!/usr/bin/env bash
# A real OpenStack Neutron (Debian's neutron-server) on loopback, for side-by-side benchmarks:
# noauth, ML2 with the VXLAN type driver and no mechanism drivers (no agents), the L3 router
# plugin, in-process RPC (oslo.messaging's fake driver), MariaDB on 127.0.0.1:3306.
#   scripts/neutron-server.sh start [PORT]   installs if needed, fresh database, starts, waits
#   scripts/neutron-server.sh stop
# Idempotent. State lives in .neutron/ (git-ignored).
# Environment (all optional): NEUTRON_DIR (state directory, default .neutron), NEUTRON_DB (database,
# default alcor_bench_neutron), NEUTRON_HEADER_CONTEXT=1 (noauth that takes the caller from
# X-User-Id / X-Project-Id / X-Roles headers, Neutron's keystonecontext without a token check; every
# request then needs X-User-Id), NEUTRON_DEFAULT_QUOTAS=1 (Neutron's default quotas, not unlimited),
# NEUTRON_PROVIDER=1 (type drivers flat, vlan and vxlan: flat_networks *, network_vlan_ranges
# physnet1:100:199).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NEUTRON_DIR:-$PWD/.neutron}"
port="${2:-9697}"
db="${NEUTRON_DB:-alcor_bench_neutron}"

install() {
  # Installed without starting Debian's own neutron-server service (it would take port 9696).
  bash scripts/ensure-openstack-tools.sh neutron-server python3-pymysql
  if ! mysql -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    echo "MariaDB is not answering on 127.0.0.1:3306 as root" >&2
    exit 1
  fi
}

configure() {
  mkdir -p "$dir/state" "$dir/lock" "$dir/log"
  paste=/etc/neutron/api-paste.ini
  if [ "${NEUTRON_HEADER_CONTEXT:-}" = 1 ]; then
    paste="$dir/api-paste.ini"
    sed 's/^noauth = cors http_proxy_to_wsgi request_id fake_project_id catch_errors/noauth = cors http_proxy_to_wsgi request_id keystonecontext catch_errors/' \
      /etc/neutron/api-paste.ini > "$paste"
    grep -q '^noauth = .* keystonecontext ' "$paste" || { echo "unexpected /etc/neutron/api-paste.ini" >&2; exit 1; }
  fi
  quotas=$'quota_network = -1\nquota_subnet = -1\nquota_port = -1\nquota_router = -1\nquota_security_group = -1\nquota_security_group_rule = -1'
  [ "${NEUTRON_DEFAULT_QUOTAS:-}" = 1 ] && quotas=''
  cat > "$dir/neutron.conf" <<CONF
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = noauth
bind_host = 127.0.0.1
bind_port = $port
transport_url = fake:/
allow_overlapping_ips = true
api_workers = 2
rpc_workers = 0
rpc_state_report_workers = 0
state_path = $dir/state
log_dir = $dir/log
debug = false
dhcp_agent_notification = false
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_paste_config = $paste
[database]
connection = mysql+pymysql://root@127.0.0.1:3306/$db
[oslo_concurrency]
lock_path = $dir/lock
[quotas]
$quotas
CONF
  types=vxlan
  provider=''
  if [ "${NEUTRON_PROVIDER:-}" = 1 ]; then
    types=flat,vlan,vxlan
    provider=$'[ml2_type_flat]\nflat_networks = *\n[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:100:199'
  fi
  cat > "$dir/ml2_conf.ini" <<CONF
[ml2]
type_drivers = $types
tenant_network_types = vxlan
mechanism_drivers =
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:65535
$provider
CONF
}

stop() {
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 0.2; done
    pkill -f "neutron-server --config-file $dir/neutron.conf" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
}

start() {
  install
  stop
  configure
  mysql -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4"
  neutron-db-manage --config-file "$dir/neutron.conf" --config-file "$dir/ml2_conf.ini" upgrade heads > "$dir/log/db-manage.log" 2>&1
  nohup neutron-server --config-file "$dir/neutron.conf" --config-file "$dir/ml2_conf.ini" > "$dir/log/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 240); do
    if curl -sf -H 'X-User-Id: probe' "http://127.0.0.1:$port/v2.0/networks" >/dev/null 2>&1; then
      echo "neutron-server listening on http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "neutron-server exited; see $dir/log" >&2; tail -20 "$dir/log/"*.log >&2; exit 1; }
    sleep 0.5
  done
  echo "neutron-server did not answer within 120 s; see $dir/log" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
