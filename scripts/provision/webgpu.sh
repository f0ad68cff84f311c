#!/usr/bin/env bash
# WebGPU on the CPU for the webgpu tests (test/backend-webgpu/): Dawn (the npm `webgpu` package)
# runs on Vulkan, and on a machine without a GPU on Mesa's software driver, lavapipe. Debian
# bookworm's own Mesa (22.3) is refused by Dawn ("shaderUniform*ArrayDynamicIndexing required");
# bookworm-backports' (25.x) works, so the backports suite is added when missing and the driver
# and the Vulkan loader are installed from it. The tests then point the loader at lavapipe with
# VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

[ "$(uname -s)" = Linux ] || exit 0
# Only Debian bookworm is provisioned here; elsewhere the packages are the developer's to install.
. /etc/os-release 2>/dev/null || true
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "provision: webgpu: not Debian bookworm (${PRETTY_NAME:-unknown}); install Mesa >= 24 (mesa-vulkan-drivers) and libvulkan1 yourself" >&2
  exit 0
fi

backports_listed() {
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
if ! backports_listed; then
  echo "provision: adding the bookworm-backports apt source"
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > /tmp/slipkit-backports.sources
  _as_root install -m 0644 /tmp/slipkit-backports.sources /etc/apt/sources.list.d/backports.sources \
    || provision_fail "cannot add the bookworm-backports apt source (need root or sudo)"
  rm -f /tmp/slipkit-backports.sources
  _apt_updated=0
fi

# A Mesa older than 24 (bookworm's 22.3) counts as missing: Dawn refuses it.
mesa_major() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/'; }
major="$(mesa_major)"
if [ -n "$major" ] && [ "$major" -lt 24 ]; then
  echo "provision: mesa-vulkan-drivers $major.x is too old for Dawn; upgrading from bookworm-backports"
  export DEBIAN_FRONTEND=noninteractive
  _as_root apt-get update -qq || provision_fail "apt-get update failed"
  _apt_updated=1
  _as_root apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null \
    || provision_fail "apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 failed"
fi
apt_install -t bookworm-backports mesa-vulkan-drivers libvulkan1
[ -f /usr/share/vulkan/icd.d/lvp_icd.json ] || provision_fail "lavapipe's /usr/share/vulkan/icd.d/lvp_icd.json is missing after installing mesa-vulkan-drivers"
