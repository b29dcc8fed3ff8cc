package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
)

// Dir is a development sink in place of a relay: Send writes each email as an .eml file
// (the message as a relay would receive it; mail clients open it) into the folder Path,
// which it creates. The file is named after the Message-ID (sale-DEVICE-SEQ-RESEND.eml),
// so the sending again that follows a crash before the outbox's mark replaces the file with
// the same email; a resend is a new file. A file appears whole or not at all: the email is
// written to a temporary file, fsync'd and renamed, and the folder fsync'd.
type Dir struct {
	Path string
}

var _ Sender = Dir{}

// Send writes msg to Path as an .eml file; to is the envelope recipient, which msg's To
// header names too.
func (d Dir) Send(to string, msg []byte) error {
	if d.Path == "" {
		return errors.New("hub: mail dir: no folder")
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("hub: mail dir: %w", err)
	}
	name := emlName(msg)
	tmp, err := os.CreateTemp(d.Path, ".tmp-*")
	if err != nil {
		return fmt.Errorf("hub: mail dir: %w", err)
	}
	if err := writeSync(tmp, msg); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("hub: mail dir: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Path, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("hub: mail dir: %w", err)
	}
	if err := syncDir(d.Path); err != nil {
		return fmt.Errorf("hub: mail dir: %w", err)
	}
	return nil
}

// writeSync writes data to f, fsyncs and closes it.
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// emlName is the file name of msg: its Message-ID's local part, kept to letters, digits,
// '.', '-' and '_', with .eml; a message without one gets a random name.
func emlName(msg []byte) string {
	var id string
	if m, err := mail.ReadMessage(bytes.NewReader(msg)); err == nil {
		id = strings.Trim(m.Header.Get("Message-ID"), "<> ")
		id, _, _ = strings.Cut(id, "@")
	}
	id = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, id)
	id = strings.TrimLeft(id, ".")
	if id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = "mail-" + hex.EncodeToString(b)
	}
	return id + ".eml"
}
