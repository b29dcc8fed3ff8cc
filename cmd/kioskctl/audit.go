package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ticketkiosk/ledger"
)

// auditCmd re-proves the ledger offline from the device keys alone.
func (a *app) auditCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "audit",
		Short: "Re-prove every stored journal entry from the device keys alone",
		Long: `audit reads the hub's ledger (stop serve first: it holds the ledger) and proves
every stored entry with the public keys of the catalogue's devices only: each device's
entries run 1, 2, … without a gap, each carries the hash of the one before, and each lies
within a run whose last entry the device signed (the batch seals the hub kept).

Exit status: 0 every entry is proved; 1 an entry is not (the first bad one of each device
is named: a broken chain, a signature that does not verify, entries no signature covers,
a device with no registered key).`,
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			h, err := a.open()
			if err != nil {
				return err
			}
			keys, err := h.Keys()
			if err != nil {
				return err
			}
			l, err := h.OpenLedger(ledger.Options{})
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := l.Audit(keys)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d devices, %d entries proved by %d device signatures\n", rep.Devices, rep.Entries, rep.Seals)
			if len(rep.Problems) == 0 {
				return nil
			}
			for _, p := range rep.Problems {
				fmt.Fprintf(a.stdout, "NOT PROVED %s\n", p.Error())
			}
			return &exitError{code: 1, err: fmt.Errorf("audit: first bad entry: %s", rep.Problems[0].Error())}
		},
	}
}
