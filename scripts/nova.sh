#!/usr/bin/env bash
# A real OpenStack Nova (Debian's packages) with Placement and Glance on loopback, using our
# controller as the network service: nova-api, nova-conductor, nova-scheduler and NOVA_COMPUTES
# nova-compute processes (host names alcor-compute-1, -2, ...) on a fake virt driver that waits for
# network-vif-plugged as libvirt does (scripts/nova/alcor_fake_driver.py), placement-api (uWSGI)
# and glance-api, all plain background processes of this user. MariaDB on 127.0.0.1:3306 (root,
# no password; databases nova_api, nova, nova_cell0, placement, glance), RabbitMQ on
# 127.0.0.1:5672 (guest/guest), the loopback Keystone of scripts/keystone.sh.
#   scripts/nova.sh start   install if needed, set up once, (re)start what is not running with the
#                           current configuration, wait until both computes are mapped and up
#   scripts/nova.sh stop    stop every process it started (by pid)
#   scripts/nova.sh env     the admin's OS_* variables and NOVA_URL, PLACEMENT_URL, GLANCE_URL,
#                           NOVA_COMPUTE_HOSTS, NOVA_METADATA_URL, NOVA_METADATA_SECRET
# Idempotent: running services whose configuration is unchanged are kept; databases are kept and
# brought up to date (NOVA_FRESH=1 drops and recreates them, and the state directory, first).
# Environment (all optional):
#   ALCOR_URL                  our controller, as Nova's network endpoint ([neutron]
#                              endpoint_override); without it Nova follows the catalog's `network`
#                              endpoint (read once per token: restart after repointing it). Also
#                              registered as the catalog's `network` endpoint when there is none.
#   NOVA_DIR                   state directory (default .nova)
#   NOVA_API_PORT (8774), NOVA_PLACEMENT_PORT (8778), NOVA_GLANCE_PORT (9292)
#   NOVA_METADATA_PORT (8775)  Nova's metadata API, which our agents' metadata proxy forwards to
#   NOVA_METADATA_SECRET       the secret the proxy signs instance ids with (default alcor-metadata)
#   NOVA_COMPUTES              number of nova-compute processes (default 2)
#   NOVA_VIF_PLUGGING_TIMEOUT  seconds a boot waits for network-vif-plugged (default 60)
#   NOVA_VIF_PLUGGING_FATAL    1 (default): a boot without the event fails; 0: it goes on
#   NOVA_TRANSPORT_URL         RabbitMQ (default rabbit://guest:guest@127.0.0.1:5672/): two Novas on
#                              one vhost would take each other's messages
#   NOVA_DB_PREFIX             prefix of the five database names (default none)
#   NOVA_DEBUG                 1: debug logs
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
dir="${NOVA_DIR:-$PWD/.nova}"
api_port="${NOVA_API_PORT:-8774}"
placement_port="${NOVA_PLACEMENT_PORT:-8778}"
glance_port="${NOVA_GLANCE_PORT:-9292}"
computes="${NOVA_COMPUTES:-2}"
nova_url="http://127.0.0.1:$api_port/v2.1"
metadata_port="${NOVA_METADATA_PORT:-8775}"
metadata_url="http://127.0.0.1:$metadata_port"
metadata_secret="${NOVA_METADATA_SECRET:-alcor-metadata}"
placement_url="http://127.0.0.1:$placement_port"
glance_url="http://127.0.0.1:$glance_port"
keystone_url="http://127.0.0.1:${ALCOR_KEYSTONE_PORT:-5000}/v3"
password="${ALCOR_KEYSTONE_SERVICE_PASSWORD:-alcor-service}"
db="mysql+pymysql://root@127.0.0.1:3306"
rabbit="${NOVA_TRANSPORT_URL:-rabbit://guest:guest@127.0.0.1:5672/}"
# Debian's OpenStack runs on the system Python; a pyenv shim first in PATH has none of it.
py=/usr/bin/python3
dbp="${NOVA_DB_PREFIX:-}"
databases=("${dbp}nova_api" "${dbp}nova" "${dbp}nova_cell0" "${dbp}placement" "${dbp}glance")
compute_hosts=()
for i in $(seq "$computes"); do compute_hosts+=("alcor-compute-$i"); done

nova_env() {
  bash scripts/keystone.sh env
  cat <<ENV
export NOVA_URL=$nova_url
export PLACEMENT_URL=$placement_url
export GLANCE_URL=$glance_url
export NOVA_COMPUTE_HOSTS="${compute_hosts[*]}"
export NOVA_METADATA_URL=$metadata_url
export NOVA_METADATA_SECRET=$metadata_secret
ENV
}

install() {
  # The packages' own database, endpoint and service questions are ours to answer: no dbconfig,
  # no registration, no system services (scripts/ensure-openstack-tools.sh keeps them stopped).
  # nova-compute itself is not installed: it needs a hypervisor package (libvirt, qemu); the
  # fake driver runs from python3-nova's nova.cmd.compute.
  local packages=(nova-api nova-conductor nova-scheduler placement-api glance-api python3-pymysql
    uwsgi-core uwsgi-plugin-python3 qemu-utils)
  [ "$(dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -c 'install ok installed')" \
    -eq ${#packages[@]} ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  for p in nova glance placement; do
    echo "$p-common $p/configure_db boolean false"
    echo "$p-common $p-common/configure_db boolean false"
    echo "$p-api $p/register-endpoint boolean false"
    echo "$p-api $p-api/register-endpoint boolean false"
  done | $sudo debconf-set-selections
  bash scripts/ensure-openstack-tools.sh "${packages[@]}"
}

# Each service's configuration, written to a new file; `changed` says whether any differs from
# what the running processes were started with.
changed=""
write() {
  local file="$1" new
  new=$(cat)
  if [ "$(cat "$file" 2>/dev/null)" != "$new" ]; then
    printf '%s\n' "$new" > "$file"
    changed=1
  fi
}

authtoken() {
  cat <<CONF
[keystone_authtoken]
www_authenticate_uri = $keystone_url
auth_url = $keystone_url
auth_type = password
user_domain_name = Default
project_domain_name = Default
project_name = service
username = $1
password = $password
service_token_roles_required = true
CONF
}

service_auth() {
  cat <<CONF
auth_type = password
auth_url = $keystone_url
user_domain_name = Default
project_domain_name = Default
project_name = service
username = $1
password = $password
region_name = RegionOne
CONF
}

configure() {
  mkdir -p "$dir/log" "$dir/lock" "$dir/state" "$dir/images/staging" "$dir/images/tasks" "$dir/placement" "$dir/glance"
  local fatal=true neutron_url=""
  [ "${NOVA_VIF_PLUGGING_FATAL:-1}" = 0 ] && fatal=false
  [ -n "${ALCOR_URL:-}" ] && neutron_url="endpoint_override = $ALCOR_URL"
  local debug=false
  [ "${NOVA_DEBUG:-}" = 1 ] && debug=true
  write "$dir/nova.conf" <<CONF
[DEFAULT]
transport_url = $rabbit
my_ip = 127.0.0.1
state_path = $dir/state
debug = $debug
# The metadata API too: servers reach it through our agents' metadata proxy, as through Neutron's.
enabled_apis = osapi_compute,metadata
metadata_listen = 127.0.0.1
metadata_listen_port = $metadata_port
metadata_workers = 1
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $api_port
osapi_compute_workers = 1
compute_driver = alcor_fake_driver.WaitingFakeDriver
# Nova's real wait: a boot fails unless the network service sends network-vif-plugged in time.
vif_plugging_is_fatal = $fatal
vif_plugging_timeout = ${NOVA_VIF_PLUGGING_TIMEOUT:-60}
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api]
auth_strategy = keystone
[conductor]
workers = 1
[scheduler]
workers = 1
# Hosts are mapped by this script once the computes are up (nova-manage cell_v2 discover_hosts).
discover_hosts_in_cells_interval = -1
[oslo_concurrency]
lock_path = $dir/lock
[oslo_messaging_notifications]
driver = noop
$(authtoken nova)
[placement]
$(service_auth nova)
[glance]
endpoint_override = $glance_url
[neutron]
$(service_auth neutron)
$neutron_url
service_metadata_proxy = true
metadata_proxy_shared_secret = $metadata_secret
[cinder]
os_region_name = RegionOne
CONF
  # Only the control services reach the databases; computes go through the conductor, as in a
  # real deployment (a compute with database options tries direct access and logs errors).
  write "$dir/nova-db.conf" <<CONF
[api_database]
connection = $db/${dbp}nova_api
[database]
connection = $db/${dbp}nova
CONF
  for host in "${compute_hosts[@]}"; do
    mkdir -p "$dir/state/$host/instances"
    write "$dir/$host.conf" <<CONF
[DEFAULT]
host = $host
instances_path = $dir/state/$host/instances
CONF
  done
  write "$dir/placement/placement.conf" <<CONF
[DEFAULT]
debug = $debug
log_file = $dir/log/placement.log
[api]
auth_strategy = keystone
[placement_database]
connection = $db/${dbp}placement
$(authtoken placement)
CONF
  write "$dir/glance/glance-api.conf" <<CONF
[DEFAULT]
debug = $debug
bind_host = 127.0.0.1
bind_port = $glance_port
workers = 1
enabled_backends = fs:file
[database]
connection = $db/${dbp}glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $dir/images
[os_glance_staging_store]
filesystem_store_datadir = $dir/images/staging
[os_glance_tasks_store]
filesystem_store_datadir = $dir/images/tasks
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $dir/lock
$(authtoken glance)
CONF
}

# A setup command, its output in log/setup.log (or $step_log); its failure ends the script.
step() {
  local log="${step_log:-$dir/log/setup.log}"
  echo "+ $*" >> "$log"
  "$@" >> "$log" 2>&1 || { echo "failed: $*; see $log" >&2; tail -20 "$log" >&2; exit 1; }
}

sql() { mysql -h127.0.0.1 -uroot -e "$1"; }

# Once per state directory: databases made, schemas synced, cells mapped. Every step is safe to
# run again on a database an earlier run left behind.
setup_databases() {
  [ -f "$dir/databases-ready" ] && return 0
  for d in "${databases[@]}"; do sql "CREATE DATABASE IF NOT EXISTS $d CHARACTER SET utf8mb4"; done
  local conf=(--config-file "$dir/nova.conf" --config-file "$dir/nova-db.conf")
  # Placement's and Glance's schemas are synced beside Nova's, which is most of the time.
  local others=()
  (step_log="$dir/log/setup-placement.log" step placement-manage --config-file "$dir/placement/placement.conf" db sync) &
  others+=($!)
  (step_log="$dir/log/setup-glance.log" step glance-manage --config-file "$dir/glance/glance-api.conf" db_sync) &
  others+=($!)
  step nova-manage "${conf[@]}" api_db sync
  nova-manage "${conf[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell0 ' \
    || step nova-manage "${conf[@]}" cell_v2 map_cell0 --database_connection "$db/${dbp}nova_cell0"
  nova-manage "${conf[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' \
    || step nova-manage "${conf[@]}" cell_v2 create_cell --name cell1 --database_connection "$db/${dbp}nova" --transport-url "$rabbit"
  step nova-manage "${conf[@]}" db sync
  for pid in "${others[@]}"; do wait "$pid" || exit 1; done
  touch "$dir/databases-ready"
}

os() {
  # The CLI's eventlet prints a harmless traceback at exit; keep its stderr only when a call fails.
  local err
  err=$(mktemp)
  if ! openstack "$@" 2>"$err"; then cat "$err" >&2; rm -f "$err"; return 1; fi
  rm -f "$err"
}
exists() { openstack "$@" >/dev/null 2>&1; }

ensure_keystone() {
  # A running Keystone is used as it is: starting it through keystone.sh would repoint the
  # catalog's network endpoint, which tests own.
  curl -fsS -o /dev/null "$keystone_url" 2>/dev/null || bash scripts/keystone.sh start "${ALCOR_URL:-http://127.0.0.1:9696}" >/dev/null
}

# Service users nova, placement, glance and neutron (Nova's [neutron] credentials, as in the
# install guide) with admin in project service, and the catalog entries; once per set of URLs.
# The network endpoint belongs to whoever runs the controller (tests repoint it): made here only
# when there is none.
register() {
  local key="$nova_url $placement_url $glance_url ${ALCOR_URL:-}" network=""
  [ "$(cat "$dir/registered" 2>/dev/null)" = "$key" ] && return 0
  [ -n "${ALCOR_URL:-}" ] && network=", {\"type\": \"network\", \"name\": \"neutron\", \"url\": \"$ALCOR_URL\", \"replace\": false}"
  eval "$(bash scripts/keystone.sh env)"
  $py "$repo/scripts/nova/register.py" <<JSON
{"password": "$password", "users": ["nova", "placement", "glance", "neutron"],
 "services": [{"type": "compute", "name": "nova", "url": "$nova_url", "replace": true},
              {"type": "placement", "name": "placement", "url": "$placement_url", "replace": true},
              {"type": "image", "name": "glance", "url": "$glance_url", "replace": true}$network]}
JSON
  echo "$key" > "$dir/registered"
}

pidfile() { echo "$dir/$1.pid"; }
alive() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }

# name, then the command; its output goes to log/NAME.log.
launch() {
  local name="$1"
  shift
  alive "$name" && return 0
  setsid "$@" >> "$dir/log/$name.log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

# Every service was started as its own process group (setsid): its workers (nova-api's, uWSGI's)
# are stopped with it. SIGTERM to all at once, then SIGKILL to what is left after 15 s.
stop() {
  local f pids=()
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    pids+=("$(cat "$f")")
    kill -TERM -- "-${pids[-1]}" 2>/dev/null || true
  done
  for _ in $(seq 75); do
    local left=0 pid
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -f "$dir"/*.pid
}

answers() { curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null | grep -q '^[234]'; }

wait_for() {
  local what="$1" name="$2"
  shift 2
  for _ in $(seq 300); do
    "$@" && return 0
    alive "$name" || { echo "$name exited; see $dir/log/$name.log" >&2; tail -20 "$dir/log/$name.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$what did not come up in 150 s; see $dir/log/$name.log" >&2
  exit 1
}

serve() {
  launch placement uwsgi --plugin python3,http --http "127.0.0.1:$placement_port" --http-keepalive \
    --wsgi-file /usr/bin/placement-api --master --processes 1 --threads 8 --enable-threads \
    --lazy-apps --die-on-term --need-app --buffer-size 65535 \
    --env "OS_PLACEMENT_CONFIG_DIR=$dir/placement"
  launch glance glance-api --config-file "$dir/glance/glance-api.conf" --log-file "$dir/log/glance-api.log"
  launch nova-api nova-api --config-file "$dir/nova.conf" --config-file "$dir/nova-db.conf" --log-file "$dir/log/nova-api.log"
  launch nova-conductor nova-conductor --config-file "$dir/nova.conf" --config-file "$dir/nova-db.conf" --log-file "$dir/log/nova-conductor.log"
  launch nova-scheduler nova-scheduler --config-file "$dir/nova.conf" --config-file "$dir/nova-db.conf" --log-file "$dir/log/nova-scheduler.log"
  wait_for Placement placement answers "$placement_url/"
  for host in "${compute_hosts[@]}"; do
    launch "nova-compute-$host" $py "$repo/scripts/nova/compute.py" \
      --config-file "$dir/nova.conf" --config-file "$dir/$host.conf" --log-file "$dir/log/nova-compute-$host.log"
  done
  wait_for Glance glance answers "$glance_url/"
  wait_for nova-api nova-api answers "$nova_url/"
  wait_for "nova-api's metadata API" nova-api answers "$metadata_url/"
}

# The computes register themselves (service and compute node rows, resource providers); a host is
# schedulable once mapped to cell1, which is done here rather than by the scheduler's periodic task.
map_computes() {
  eval "$(bash scripts/keystone.sh env)"
  local up
  computes_up() {
    up=$(openstack compute service list --service nova-compute -f value -c Host -c State 2>/dev/null | grep -c ' up$' || true)
    [ "$up" -ge "$computes" ]
  }
  wait_for "$computes nova-compute services" "nova-compute-${compute_hosts[0]}" computes_up
  step nova-manage --config-file "$dir/nova.conf" --config-file "$dir/nova-db.conf" cell_v2 discover_hosts
  hypervisors() { [ "$(openstack hypervisor list -f value -c 'Hypervisor Hostname' 2>/dev/null | wc -l)" -ge "$computes" ]; }
  wait_for "$computes hypervisors" "nova-compute-${compute_hosts[0]}" hypervisors
}

# The image and flavor tests boot with: the fake driver never reads the image.
seed() {
  [ -f "$dir/seeded" ] && return 0
  eval "$(bash scripts/keystone.sh env)"
  if [ -z "$(openstack image list --name cirros-healthcheck -f value -c ID 2>/dev/null)" ]; then
    local img="$dir/cirros-healthcheck.qcow2"
    qemu-img create -q -f qcow2 "$img" 16M
    os image create --disk-format qcow2 --container-format bare --public --file "$img" cirros-healthcheck >/dev/null
  fi
  exists flavor show m1.tiny || os flavor create --ram 512 --vcpus 1 --disk 1 --public m1.tiny >/dev/null
  touch "$dir/seeded"
}

start() {
  install
  mysql -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1 \
    || { echo "MariaDB is not answering on 127.0.0.1:3306 as root" >&2; exit 1; }
  if [ "${NOVA_FRESH:-}" = 1 ]; then
    stop
    for d in "${databases[@]}"; do sql "DROP DATABASE IF EXISTS $d"; done
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  configure
  # Processes started with another configuration are restarted, all of them: they share nova.conf.
  [ -n "$changed" ] && stop
  ensure_keystone
  setup_databases
  register
  serve
  map_computes
  seed
  echo "$nova_url"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) nova_env ;;
  *) echo "usage: $0 start | stop | env" >&2; exit 2 ;;
esac
