//go:build tools

// Package tools pins the modules the project is about to use, so go.mod stays stable while
// packages are written. It is never built.
package tools

import (
	_ "github.com/coreos/go-systemd/v22/daemon"
	_ "github.com/creack/pty"
	_ "github.com/eclipse/paho.mqtt.golang"
	_ "github.com/emersion/go-smtp"
	_ "github.com/makiuchi-d/gozxing"
	_ "github.com/mochi-mqtt/server/v2"
	_ "github.com/pelletier/go-toml/v2"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/spf13/cobra"
	_ "github.com/tarm/serial"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/image/font"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "golang.org/x/text/encoding/charmap"
	_ "periph.io/x/conn/v3"
	_ "periph.io/x/host/v3"
)
