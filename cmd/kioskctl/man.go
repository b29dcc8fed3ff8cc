package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"ticketkiosk/internal/version"
)

// manCmd writes the manual pages of kioskctl and every command (section 1) into a folder:
// make man runs it and the .deb installs the pages. Hidden: it is for packaging. The date
// in the pages is $SOURCE_DATE_EPOCH's when set, so a build is reproducible.
func (a *app) manCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the manual pages (kioskctl.1, kioskctl-COMMAND.1, …) into DIR",
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			h := &doc.GenManHeader{Title: "KIOSKCTL", Section: "1", Source: "kioskctl " + version.Version, Manual: "Ticket kiosk"}
			if err := doc.GenManTree(cmd.Root(), h, args[0]); err != nil {
				return fmt.Errorf("man: %w", err)
			}
			return nil
		},
	}
}
