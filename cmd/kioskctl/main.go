// Command kioskctl is the organiser's tool ("the hub"): it keeps the central catalogue of
// outlets, events, users and devices, signs and pushes each device's configuration over
// MQTT, runs the hub service that collects every device's journal, and answers reports,
// ticket checks and device status from the command line.
//
// The hub directory is --dir, or the environment variable KIOSKCTL_DIR.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run()) }

// run executes kioskctl with the process's arguments and returns its exit status.
func run() int {
	return execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// exitError carries an exit status other than 1 (verify's results) with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// execute runs one command line and returns its exit status.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "kioskctl:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "kioskctl:", err)
	return 1
}
