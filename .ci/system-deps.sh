#!/usr/bin/env bash
# Install what the test suite needs from outside pip, on Debian (bookworm or later):
# Debian's chromium (Playwright drives it), a font so screenshots show text, and the
# PostgreSQL server binaries when no `initdb` is installed yet.
# Idempotent: when everything is present it does nothing and never calls apt.
# Runs unattended (CI=true, no stdin); as root, or through sudo when available.
set -euo pipefail

have_initdb() {
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
have_initdb || packages+=(postgresql)

if [ "${#packages[@]}" -eq 0 ]; then
    echo "system-deps: chromium, fonts and PostgreSQL binaries already present"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        echo "system-deps: need root (or sudo) to install: ${packages[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "system-deps: installing ${packages[*]}"
"${as_root[@]}" apt-get update -q </dev/null
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" </dev/null

[ -x /usr/bin/chromium ] || { echo "system-deps: /usr/bin/chromium still missing" >&2; exit 1; }
have_initdb || { echo "system-deps: initdb still missing" >&2; exit 1; }
echo "system-deps: done"
