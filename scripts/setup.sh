#!/usr/bin/env bash
# Sets up a fresh machine: a Java runtime for DynamoDB Local (Debian package) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1; then
  echo "Installing a Java runtime for DynamoDB Local (openjdk-17-jre-headless) ..."
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
npm ci --no-audit --no-fund
