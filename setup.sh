#!/usr/bin/env bash
# Set up this machine for the kiosk: Debian packages, then Python packages.
#   ./setup.sh          what the server needs (espeak-ng for speech, a font for PDFs)
#   ./setup.sh --test   also what the tests need (Chromium for browser tests, sox)
set -euo pipefail
cd "$(dirname "$0")"

packages=(espeak-ng libespeak-ng1 fonts-dejavu-core fonts-noto-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium sox)
fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
echo "Set up: ${packages[*]} and requirements.txt."
