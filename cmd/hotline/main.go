// Command hotline is the 12345 hotline gateway.
//
//	hotline serve [flags]   run the service (see README for settings)
//	hotline chat [flags]    talk to the bot in this terminal
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hotline — 本市12345政务服务便民热线 gateway

Usage:
  hotline serve [flags]   run the service (hotline serve -h lists the settings)
  hotline chat [flags]    talk to the bot in this terminal, without a browser
  hotline kb lint|search|eval|misses|export [flags]
                          check, query, measure and export the knowledge base
  hotline nlu parse|train|eval [flags]
                          understand messages, train and measure the models
  hotline agent add|list|passwd|disable|enable [flags]
                          manage the human agents' accounts (docs/AGENTS.md)
  hotline workorder list|show NUMBER [flags]
                          look up work orders, masked (docs/API.md)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:])
	case "chat":
		err = chat(ctx, args[1:], stdin, stdout)
	case "kb":
		err = kb(ctx, args[1:], stdin, stdout, stderr)
	case "nlu":
		err = nluCommand(ctx, args[1:], stdin, stdout, stderr)
	case "agent":
		err = agentCommand(ctx, args[1:], stdin, stdout, stderr)
	case "workorder":
		err = workorderCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hotline: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "hotline %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// kb dispatches the knowledge base commands: those that need the store
// here, the others to kbCommand.
func kb(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "misses":
			return kbMisses(ctx, args[1:], stdout)
		case "export":
			return kbExport(ctx, args[1:], stdout)
		}
	}
	return kbCommand(ctx, args, stdin, stdout, stderr)
}
