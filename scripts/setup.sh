#!/usr/bin/env bash
# Sets up a fresh machine: Debian packages the project runs with, then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

updated=""
apt_install() { # $1 command that must exist, $2 Debian package, $3 why
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "Installing $2: $3 ..."
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$updated" ] || { $sudo apt-get update -qq; updated=1; }
  $sudo apt-get install -y -qq "$2" >/dev/null
}

apt_install java openjdk-17-jre-headless "the Java runtime DynamoDB Local needs"
apt_install chromium chromium "headless Chromium, to check the audit trace page as an auditor sees it"
npm ci --no-audit --no-fund
npm run --silent build:cli
