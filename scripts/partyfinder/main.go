// Command partyfinder runs Partyfinder on one machine: every HTTP function
// under the same paths as the Firebase Hosting rewrites, on the embedded
// SQLite store by default, and the party importer.
//
//	go run ./scripts/partyfinder                 # same as "serve"
//	go run ./scripts/partyfinder serve --addr :8080 --db ./.partyfinder/partyfinder.db
//	go run ./scripts/partyfinder serve --store firestore --events pubsub   # the cloud's route, on the emulators
//	go run ./scripts/partyfinder import --conference gamescom2025 --name "Gamescom 2025" --city Cologne --tz Europe/Berlin FILE
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "partyfinder:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "import":
		return runImport(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  partyfinder [serve] [--addr :8080] [--db PATH] [--store sqlite|firestore] [--no-seed]
                      [--events inproc|pubsub] [--functions-emulator ADDR]
  partyfinder import --conference ID [--name N --city C --tz ZONE] [--dry-run] [--json] [--prune] FILE`
