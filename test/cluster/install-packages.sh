#!/bin/sh
# Installs what the Galera cluster tests need beyond MariaDB itself (see test/cluster/galera.ts); does nothing when
# everything is present. wsrep_sst_rsync also needs ss (iproute2) or lsof to find its rsync daemon's port.
set -eu
missing=''
[ -e /usr/lib/galera/libgalera_smm.so ] || missing="$missing galera-4"
command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
command -v ss >/dev/null 2>&1 || command -v lsof >/dev/null 2>&1 || missing="$missing iproute2"
if [ -z "$missing" ]; then
  echo "galera-4, rsync and ss are installed"
  exit 0
fi
echo "installing:$missing"
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
