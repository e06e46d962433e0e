#!/usr/bin/env bash
# The DHCP tools the PXE filter's dnsmasq test drives, from Debian's packages: dnsmasq (dnsmasq-base:
# the binary, no service) and udhcpc (busybox), plus `ip` (iproute2) for the network namespaces.
#
#   scripts/dhcp-tools.sh install   install what is missing (root, Debian); a no-op when all is there
#   scripts/dhcp-tools.sh check     exit 0 when everything is there, 1 otherwise (prints what lacks)
set -euo pipefail

say() { echo "dhcp-tools: $*" >&2; }

missing() {
  local lacks=()
  [ -x /usr/sbin/dnsmasq ] || lacks+=(dnsmasq-base)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || lacks+=(busybox)
  command -v ip >/dev/null 2>&1 || lacks+=(iproute2)
  echo "${lacks[@]:-}"
}

case "${1:-install}" in
  check)
    lacks="$(missing)"
    if [ -n "$lacks" ]; then say "missing: $lacks"; exit 1; fi
    ;;
  install)
    lacks="$(missing)"
    [ -z "$lacks" ] && exit 0
    if [ "$(id -u)" != 0 ]; then
      say "missing $lacks; installing needs root (apt-get install -y $lacks)"
      exit 1
    fi
    say "installing $lacks from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086 # one package name per word
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $lacks >/dev/null
    ;;
  *)
    say "usage: $0 install|check"
    exit 2
    ;;
esac
