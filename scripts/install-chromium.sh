#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser test (playwright-core drives /usr/bin/chromium; no
# browser is ever downloaded). A no-op when it is installed; installing needs root (CI runs as root).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium: /usr/bin/chromium is missing and installing it needs root (Debian package chromium)" >&2
  exit 1
fi
echo "install-chromium: installing Debian's chromium (once)" >&2
# Other installs may hold the dpkg lock for a while on a shared machine: wait for it.
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version >&2
