#!/usr/bin/env bash
# Set up this machine for the kiosk: Debian packages with apt, then the Python packages in
# a virtual environment of its own (.venv here), never in the system's Python (which
# Debian 12 and Ubuntu 24.04 refuse: "externally-managed-environment").
#   ./setup.sh          what the server needs (espeak-ng for speech, fonts for PDFs)
#   ./setup.sh --test   also what the tests need (Chromium, sox, redis-server and
#                       requirements-test.txt)
# Then bin/kiosk runs every command without activating anything.
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  "") requirements=requirements.txt ;;
  --test) requirements=requirements-test.txt ;;
  *) echo "usage: ./setup.sh [--test]" >&2; exit 2 ;;
esac
python=${PYTHON:-python3}

packages=(espeak-ng libespeak-ng1 fonts-dejavu-core fonts-noto-core)
if [[ $requirements == requirements-test.txt ]]; then
  packages+=(chromium sox redis-server)
  # WebKit, the engine of iPad Safari: its WebDriver (GStreamer for sound comes with it),
  # a virtual display to draw in, and software OpenGL for that display.
  packages+=(webkit2gtk-driver xvfb libgl1-mesa-dri)
fi
# A virtual environment needs Python's venv and ensurepip modules: Debian and Ubuntu
# ship them apart from python3, in python3-venv.
if ! command -v "$python" >/dev/null; then
  packages+=(python3 python3-venv)
elif ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  packages+=(python3-venv)
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup.sh needs root to install ${missing[*]}: run it as root, or install sudo." >&2
       exit 1
  fi
}
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "Installing with apt: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "The kiosk needs Python 3.11 or later; $python is $("$python" -V 2>&1)." >&2
  exit 1
fi
# A .venv left half-made (or by another Python since removed) is made again.
if ! .venv/bin/python -c 'import pip' >/dev/null 2>&1; then
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "Set up: ${packages[*]} and $requirements in .venv. Run commands with bin/kiosk."
