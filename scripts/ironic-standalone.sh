#!/usr/bin/env bash
# The real OpenStack Ironic from Debian's packages, standalone on loopback, for the Ironic test suite
# and the demo: one process (API + conductor), no RPC bus, no Keystone, sqlite, fake hardware.
#
#   scripts/ironic-standalone.sh start   install when missing (root), configure, create the schema,
#                                        start, wait until it answers; a no-op if ours already runs
#   scripts/ironic-standalone.sh stop    stop only the PID this script started
#   scripts/ironic-standalone.sh status  say whether ours runs
#
# Settings (environment):
#   IRONIC_PORT    port on 127.0.0.1 (default 6385)
#   IRONIC_DIR     state: config, sqlite, logs, PID (default .data/ironic-<port> in the project)
#   IRONIC_AUTH    noauth (default) or http_basic (then IRONIC_HTPASSWD names a bcrypt htpasswd file)
#   INSPECTOR_URL  where Ironic's `inspector` inspect interface finds our API (default http://127.0.0.1:5050)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
port="${IRONIC_PORT:-6385}"
dir="${IRONIC_DIR:-$here/.data/ironic-$port}"
auth="${IRONIC_AUTH:-noauth}"
inspector_url="${INSPECTOR_URL:-http://127.0.0.1:5050}"
conf="$dir/ironic.conf"
pidfile="$dir/ironic.pid"
log="$dir/ironic.log"
url="http://127.0.0.1:$port/"

made_policy=0
# Remove the policy-rc.d this script made, however it exits.
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

say() { echo "ironic-standalone: $*" >&2; }

answers() { curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; }

our_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

install_if_missing() {
  if [ -x /usr/bin/ironic ] && [ -x /usr/bin/ironic-dbsync ] && /usr/bin/python3 -c 'import openstack' 2>/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    say "Ironic is not installed and installing it needs root (Debian packages ironic-api ironic-conductor python3-ironic python3-openstacksdk)"
    exit 1
  fi
  say "installing Ironic from Debian's packages (about a minute, once)"
  cat <<'PRESEED' | debconf-set-selections
ironic-common ironic/configure_db boolean false
ironic-common ironic/configure_rabbit boolean false
ironic-common ironic/configure_ksat boolean false
ironic-api ironic/configure_api-endpoint boolean false
PRESEED
  # No init system here: stop the packages' post-install scripts from starting services.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ironic-api ironic-conductor python3-ironic python3-openstacksdk curl >/dev/null
  rm -f /usr/sbin/policy-rc.d
  made_policy=0
}

write_config() {
  mkdir -p "$dir/state" "$dir/locks"
  local auth_lines="auth_strategy = noauth"
  if [ "$auth" = "http_basic" ]; then
    auth_lines="auth_strategy = http_basic
http_basic_auth_user_file = ${IRONIC_HTPASSWD:?IRONIC_HTPASSWD must name a bcrypt htpasswd file}"
  fi
  cat > "$conf" <<CONF
[DEFAULT]
$auth_lines
rpc_transport = none
host = serverless-inspector-ironic-$port
state_path = $dir/state
log_file = $log
debug = false
enabled_hardware_types = fake-hardware
enabled_boot_interfaces = fake
enabled_deploy_interfaces = fake
enabled_power_interfaces = fake
enabled_management_interfaces = fake
enabled_inspect_interfaces = fake,inspector,no-inspect
default_inspect_interface = fake
enabled_network_interfaces = noop
default_network_interface = noop
enabled_console_interfaces = fake,no-console
enabled_raid_interfaces = fake,no-raid
enabled_rescue_interfaces = fake,no-rescue
enabled_vendor_interfaces = fake,no-vendor
enabled_bios_interfaces = fake,no-bios
enabled_storage_interfaces = fake,noop

[api]
host_ip = 127.0.0.1
port = $port

[database]
connection = sqlite:///$dir/ironic.db

[dhcp]
dhcp_provider = none

[conductor]
automated_clean = false

[oslo_concurrency]
lock_path = $dir/locks

[inspector]
auth_type = none
endpoint_override = $inspector_url
callback_endpoint_override = $inspector_url/v1/continue
status_check_period = 5
CONF
}

start() {
  if pid="$(our_pid)" && answers; then
    say "already running (pid $pid) at $url"
    return 0
  fi
  if answers; then
    say "something else answers at $url; not starting a second Ironic"
    exit 1
  fi
  install_if_missing
  stop_quietly
  rm -rf "$dir"
  write_config
  /usr/bin/ironic-dbsync --config-file "$conf" create_schema >>"$dir/dbsync.log" 2>&1 || {
    say "creating the schema failed:"; tail -20 "$dir/dbsync.log" >&2; exit 1; }
  nohup /usr/bin/ironic --config-file "$conf" >>"$dir/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if answers; then
      say "running (pid $(cat "$pidfile")) at $url"
      return 0
    fi
    if ! our_pid >/dev/null; then
      say "Ironic exited during start:"; tail -30 "$log" "$dir/stdout.log" 2>/dev/null >&2; exit 1
    fi
    sleep 0.5
  done
  say "Ironic did not answer at $url within 60 s"; tail -30 "$log" >&2; exit 1
}

stop_quietly() {
  local pid
  pid="$(our_pid)" || { rm -f "$pidfile"; return 0; }
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly; say "stopped" ;;
  status) if pid="$(our_pid)"; then say "running (pid $pid) at $url"; else say "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
