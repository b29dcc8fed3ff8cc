package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the test scripts' own commands.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// genkey NAME: a new device key; sets $NAME_B64, $NAME_HEX and $NAME_RE (a regexp) to the public key and
	// writes the private key's seed to $WORK/NAME.seed.
	"genkey": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: genkey NAME")
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		ts.Check(err)
		ts.Setenv(args[0]+"_B64", base64.StdEncoding.EncodeToString(pub))
		ts.Setenv(args[0]+"_HEX", hex.EncodeToString(pub))
		ts.Setenv(args[0]+"_RE", regexp.QuoteMeta(base64.StdEncoding.EncodeToString(pub)))
		ts.Check(os.WriteFile(ts.MkAbs(args[0]+".seed"), priv.Seed(), 0o600))
	},
}
