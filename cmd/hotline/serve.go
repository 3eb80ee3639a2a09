package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/hotline12345/hotline/server"
)

func serve(ctx context.Context, args []string) error {
	cfg, err := server.LoadConfig("hotline serve", args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
