#!/usr/bin/env bash
# Ensure Debian's chromium is installed (idempotent) and print its path as the
# last line of stdout (apt output goes to stderr):
#   export CHROMIUM_PATH="$(bash scripts/chromium-up.sh | tail -n1)"
set -euo pipefail

CHROMIUM=/usr/bin/chromium
log() { echo "[chromium-up] $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "ERROR: not root and sudo is not available"; exit 1; }
  SUDO="sudo"
fi

# A CJK font, so screenshots of the Chinese UI show text rather than empty boxes.
CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ ! -x "$CHROMIUM" ] || [ ! -f "$CJK_FONT" ]; then
  log "installing Debian chromium and fonts via apt"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends chromium fonts-liberation fonts-wqy-microhei >&2
  [ -x "$CHROMIUM" ] || { log "ERROR: $CHROMIUM still missing after apt-get install"; exit 1; }
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM present")"
echo "$CHROMIUM"
