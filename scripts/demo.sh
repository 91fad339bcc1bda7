#!/usr/bin/env bash
# The main job: provision a service inside a machine kept in one SQLite file,
# twice, then show what it left. The host is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OSBOX=.venv/bin/osbox
MACHINE=${OSBOX_DEMO_MACHINE:-demo/machine.db}
mkdir -p "$(dirname "$MACHINE")"
rm -f "$MACHINE" "$MACHINE-wal" "$MACHINE-shm"
echo "== run 1: osbox run --machine $MACHINE examples/provision.py --release 1.0.0"
$OSBOX run --machine "$MACHINE" examples/provision.py --release 1.0.0
echo "== run 2: the same machine file, a new release"
$OSBOX run --machine "$MACHINE" examples/provision.py --release 1.1.0
echo "== osbox tree /srv"
$OSBOX tree --machine "$MACHINE" /srv
echo "== osbox ls -l /etc/webapp"
$OSBOX ls --machine "$MACHINE" -l /etc/webapp
echo "== osbox cat /etc/webapp/app.ini"
$OSBOX cat --machine "$MACHINE" /etc/webapp/app.ini
echo "== osbox stat /var/lib/webapp/history"
$OSBOX stat --machine "$MACHINE" /var/lib/webapp/history
echo "== osbox fsck"
$OSBOX fsck --machine "$MACHINE"
echo "== the host has none of it:"
for p in /srv/webapp /etc/webapp /var/lib/webapp /var/backups/webapp.tar.gz; do
    if [ -e "$p" ]; then echo "  LEAK: $p exists on the host"; exit 1; fi
    echo "  $p: absent on the host"
done
