#!/bin/sh
# Installs what the tests need on a Debian machine when it is missing. Idempotent.
set -e
need=""
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need="$need mosquitto"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
command -v qemu-arm-static >/dev/null 2>&1 || need="$need qemu-user-static"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing:$need (run as root or: sudo apt-get install -y$need)" >&2
		exit 1
	fi
	echo "install-deps: installing$need"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
