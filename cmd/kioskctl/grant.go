package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"ticketkiosk/hub"
)

func (a *app) grantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grant",
		Short: "Move ticket grants between the devices of an outlet",
	}
	cmd.AddCommand(a.grantMoveCmd())
	return cmd
}

func (a *app) grantMoveCmd() *cobra.Command {
	var event, typ string
	cmd := &cobra.Command{
		Use:   "move FROM TO N --event E --type T",
		Short: "Move N of a capped ticket type's grant from one device to another of its outlet",
		Long: `grant move lowers device FROM's grant of a capped ticket type by N and raises device TO's
by N (both of one outlet), each in its next config: run push to send them. FROM may have sold
offline up to its old grant, so TO gets the moved tickets only once the hub has the
config_applied entry of FROM's lowered config (serve then signs and pushes TO's config by
itself); until then TO gets what the outlet has unassigned. kioskctl outlet show lists each
device's grant, cap and use.`,
		Args: exactArgs("FROM", "TO", "N"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			n, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil {
				return fmt.Errorf("the N of grant move, %q, is not a number of tickets", args[2])
			}
			if err := h.MoveGrant(event, typ, args[0], args[1], n); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "moving %d %s %s from %s to %s: push to send the configs\n", n, event, typ, args[0], args[1])
			return nil
		}),
	}
	cmd.Flags().StringVar(&event, "event", "", "the event")
	cmd.Flags().StringVar(&typ, "type", "", "the capped ticket type")
	_ = cmd.MarkFlagRequired("event")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

// printGrants writes an outlet's device lines of the allotments view: each device's grant
// (what it may sell as the hub accounts it), the cap of its newest signed config, what it
// sold and has left, and a grant it waits for.
func printGrants(w io.Writer, al []hub.Allotment) {
	for _, x := range al {
		if x.Device == "" {
			continue
		}
		wait := ""
		if x.Wanted > 0 {
			wait = fmt.Sprintf(" (wants %d)", x.Wanted)
		}
		fmt.Fprintf(w, "grant\t%s\t%s %s\tgranted %d, cap %d, sold %d, left %d%s\n", x.Device, x.Event, x.Type, x.Granted, x.Cap, x.Sold, x.Left, wait)
	}
}
