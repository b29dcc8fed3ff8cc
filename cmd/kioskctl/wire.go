package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

var errNotWired = errors.New("not available yet: waits for package mqtt")

func (a *app) pushCmd() *cobra.Command {
	return &cobra.Command{Use: "push", RunE: func(*cobra.Command, []string) error { return errNotWired }}
}

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", RunE: func(*cobra.Command, []string) error { return errNotWired }}
}

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{Use: "status", RunE: func(*cobra.Command, []string) error { return errNotWired }}
}
