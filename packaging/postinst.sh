#!/bin/sh
set -e
for g in gpio i2c dialout lp input; do
	getent group "$g" >/dev/null || groupadd --system "$g"
done
if ! getent passwd kioskd >/dev/null; then
	useradd --system --no-create-home --home-dir /var/lib/kioskd --shell /usr/sbin/nologin \
		--user-group --groups gpio,i2c,dialout,lp,input kioskd
else
	usermod -a -G gpio,i2c,dialout,lp,input kioskd
fi
chgrp kioskd /etc/kioskd /etc/kioskd/kioskd.toml 2>/dev/null || true
chmod 0750 /etc/kioskd
chmod 0640 /etc/kioskd/kioskd.toml
if command -v udevadm >/dev/null 2>&1; then
	udevadm control --reload-rules 2>/dev/null || true
	udevadm trigger 2>/dev/null || true
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	if systemctl is-enabled --quiet kioskd 2>/dev/null; then
		systemctl restart kioskd || true
	fi
fi
echo "kioskd: edit /etc/kioskd/kioskd.toml, run 'sudo -u kioskd kioskd init' and 'kioskd check', then 'systemctl enable --now kioskd'."
