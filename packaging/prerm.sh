#!/bin/sh
set -e
# On removal stop the daemon (it finishes the sale in progress and says offline);
# on upgrade postinst restarts it.
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
	systemctl stop kioskd || true
	systemctl disable kioskd || true
fi
