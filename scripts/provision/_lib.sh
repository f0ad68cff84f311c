# Shared by scripts/provision/*.sh: install Debian packages that real-component tests need
# (MPI, SLURM, Chromium, Mesa's software Vulkan driver, tcmalloc for the benchmark's twin). Sourced, not run.
# apt_install PKG... installs the missing ones. Without root (and no passwordless sudo) it cannot:
# under CI=true that fails the run; elsewhere it warns, and the tests that need the package fail
# with a message naming it.
_apt_updated=0
_truthy() { case "${1:-}" in 1|true|yes) return 0;; *) return 1;; esac; }
_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 99; fi
}
provision_fail() {
  echo "provision: $*" >&2
  if _truthy "${CI:-}"; then exit 1; fi
  echo "provision: (not CI: going on; the tests that need it will say so)" >&2
  exit 0
}
# apt_install [-t SUITE] PKG...
apt_install() {
  local suite=()
  if [ "${1:-}" = -t ]; then suite=(-t "$2"); shift 2; fi
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "provision: installing ${missing[*]} ${suite[*]:+(from ${suite[1]})}"
  export DEBIAN_FRONTEND=noninteractive
  if [ $_apt_updated = 0 ]; then
    _as_root apt-get update -qq || provision_fail "apt-get update failed (need root or sudo to install ${missing[*]})"
    _apt_updated=1
  fi
  _as_root apt-get install -y -qq --no-install-recommends "${suite[@]}" "${missing[@]}" >/dev/null \
    || provision_fail "apt-get install ${missing[*]} failed"
}
