#!/usr/bin/env bash
# Installs, once, the OpenStack pieces the Keystone tests and conformance runs use, from Debian's
# packages: Keystone (run by scripts/keystone.sh as our own loopback instance, never as the
# system service), the openstack CLI, Rally with its OpenStack plugin, Tempest and Neutron's
# Tempest plugin. Idempotent: a package already there is not touched. Given package names, installs
# those instead (scripts/neutron-server.sh asks for neutron-server this way).
set -euo pipefail

PACKAGES=(keystone python3-pymysql uwsgi-core uwsgi-plugin-python3 python3-openstackclient
  rally python3-rally-openstack tempest neutron-tempest-plugin)
[ $# -gt 0 ] && PACKAGES=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# Keystone's own configuration questions (database, admin, endpoint) are ours to answer later.
$SUDO debconf-set-selections <<'SEL'
keystone keystone/dbconfig-install boolean false
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
SEL

# Packages must not start their system services (a system Keystone would take port 5000);
# policy-rc.d is Debian's switch for that, and is removed again only if we put it there.
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  ours=1
fi
trap '[ -n "$ours" ] && $SUDO rm -f "$policy"' EXIT

echo "installing ${missing[*]} from Debian's packages" >&2
$SUDO apt-get update -qq >/dev/null 2>&1 || true
# Another install (a second checkout, a test) may hold dpkg's lock: wait for it.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=900 --no-install-recommends "${missing[@]}" >/dev/null
