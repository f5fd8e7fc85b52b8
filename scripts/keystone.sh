#!/usr/bin/env bash
# A real Keystone v3 (Debian's packages) on loopback for the auth tests, Rally and Tempest:
# its own configuration and fernet keys in .keystone/, its own database alcor_keystone in MariaDB
# (127.0.0.1:3306), served by uWSGI on 127.0.0.1:$ALCOR_KEYSTONE_PORT (default 5000).
#   scripts/keystone.sh start [NETWORK_URL]  install if needed, bootstrap once, start, wait; register
#                                            NETWORK_URL (default http://127.0.0.1:9696) as the
#                                            catalog's `network` endpoint
#   scripts/keystone.sh stop
#   scripts/keystone.sh env                  the OS_* variables of the admin, for `openstack`
# Idempotent: a running Keystone is reused, a bootstrapped one is not bootstrapped again.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.keystone"
port="${ALCOR_KEYSTONE_PORT:-5000}"
url="http://127.0.0.1:$port/v3"
db=alcor_keystone
admin_password="${ALCOR_KEYSTONE_ADMIN_PASSWORD:-alcor-admin}"
service_password="${ALCOR_KEYSTONE_SERVICE_PASSWORD:-alcor-service}"

admin_env() {
  cat <<ENV
export OS_AUTH_URL=$url
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=$admin_password
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
ENV
}

configure() {
  mkdir -p "$dir/fernet-keys" "$dir/credential-keys" "$dir/log"
  chmod 700 "$dir/fernet-keys" "$dir/credential-keys"
  cat > "$dir/keystone.conf" <<CONF
[DEFAULT]
log_file = $dir/log/keystone.log
[database]
connection = mysql+pymysql://root@127.0.0.1:3306/$db
[identity]
# bcrypt's default cost makes every password check ~0.25 s of CPU; a test Keystone that creates
# hundreds of Rally users and Tempest credentials needs it cheap (never do this in production).
password_hash_rounds = 4
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $dir/fernet-keys
[fernet_receipts]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
[cache]
# Without a cache Keystone recomputes roles and scans revocation events on every validation (most
# of a second once Tempest has made and dropped a few hundred projects). The cache lives in the one
# uWSGI worker process, so a revocation is seen at once by every thread.
enabled = true
backend = dogpile.cache.memory
CONF
}

manage() { keystone-manage --config-file "$dir/keystone.conf" "$@"; }

# Every step is idempotent: a database another checkout (or an earlier run) left behind is kept
# and brought up to date, never dropped under a Keystone that may be serving it.
bootstrap() {
  [ -f "$dir/bootstrapped" ] && return 0
  mysql -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4"
  rm -f "$dir/registered"
  manage db_sync
  [ -e "$dir/fernet-keys/0" ] || manage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  [ -e "$dir/credential-keys/0" ] || manage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  manage bootstrap --bootstrap-password "$admin_password" --bootstrap-admin-url "$url" \
    --bootstrap-internal-url "$url" --bootstrap-public-url "$url" --bootstrap-region-id RegionOne
  touch "$dir/bootstrapped"
}

running() { curl -fsS -o /dev/null "$url" 2>/dev/null; }

serve() {
  running && return 0
  # uWSGI's HTTP router holds the client connections (kept alive, as clients expect) and hands
  # each request to a free worker thread; workers on a plain http socket would be tied up by idle
  # kept-alive connections until none is left to answer.
  uwsgi --plugin python3,http --http "127.0.0.1:$port" --http-keepalive --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 1 --threads 16 --enable-threads --lazy-apps --die-on-term --need-app \
    --buffer-size 65535 --listen 1024 \
    --env "OS_KEYSTONE_CONFIG_FILES=$dir/keystone.conf" \
    --pidfile "$dir/uwsgi.pid" --daemonize "$dir/log/uwsgi.log"
  for _ in $(seq 150); do running && return 0; sleep 0.2; done
  echo "Keystone did not answer on $url; see $dir/log/" >&2
  exit 1
}

# The controller's service user (as keystonemiddleware's), the roles Neutron's policy names, and
# the catalog entry that clients look up.
register() {
  local network_url="$1"
  eval "$(admin_env)"
  # The CLI's eventlet prints a harmless traceback at exit; keep its stderr only when a call fails.
  os() {
    local err
    err=$(mktemp)
    if ! openstack "$@" 2>"$err"; then cat "$err" >&2; rm -f "$err"; return 1; fi
    rm -f "$err"
  }
  exists() { openstack "$@" >/dev/null 2>&1; }
  exists project show service || os project create --domain Default service >/dev/null
  exists user show --domain Default alcor \
    || os user create --domain Default --password "$service_password" alcor >/dev/null
  for role in admin service member reader; do
    exists role show "$role" || os role create "$role" >/dev/null
  done
  os role add --project service --user alcor admin
  os role add --project service --user alcor service
  exists service show network || os service create --name neutron network >/dev/null
  for iface in public internal admin; do
    local id
    id=$(os endpoint list --service network --interface "$iface" -f value -c ID | head -1)
    if [ -z "$id" ]; then
      os endpoint create --region RegionOne network "$iface" "$network_url" >/dev/null
    else
      os endpoint set --url "$network_url" "$id"
    fi
  done
}

stop() {
  if [ -f "$dir/uwsgi.pid" ]; then
    kill -INT "$(cat "$dir/uwsgi.pid")" 2>/dev/null || true
    for _ in $(seq 50); do running || break; sleep 0.2; done
    rm -f "$dir/uwsgi.pid"
  fi
}

case "${1:-}" in
  start)
    bash scripts/ensure-openstack-tools.sh
    mysql -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1 \
      || { echo "MariaDB is not answering on 127.0.0.1:3306 as root" >&2; exit 1; }
    configure
    bootstrap
    serve
    # Registering costs a dozen CLI calls; a run that registered the same URL before skips it.
    network_url="${2:-http://127.0.0.1:9696}"
    if [ "$(cat "$dir/registered" 2>/dev/null)" != "$network_url" ]; then
      register "$network_url"
      echo "$network_url" > "$dir/registered"
    fi
    echo "$url"
    ;;
  stop) stop ;;
  env) admin_env ;;
  *) echo "usage: $0 start [NETWORK_URL] | stop | env" >&2; exit 2 ;;
esac
