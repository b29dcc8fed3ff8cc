package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// testscript.Main is RunMain without the deprecated exit-code return.
	testscript.Main(m, map[string]func(){"kioskctl": func() { os.Exit(run()) }})
}

// TestScripts runs every command, with each refusal, from testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("KIOSKCTL_DIR", env.WorkDir+"/hub")
			return nil
		},
		Cmds: scriptCmds,
	})
}
