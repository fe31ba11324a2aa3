// Command certgate is the certgate manager: the publisher-side service that
// stores APIs, client certificates and tiers, and pushes them to gateways.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func usage(w io.Writer) {
	fmt.Fprintf(w, `certgate %s — client-certificate security for HTTP APIs behind Envoy

Usage:
  certgate <command> [flags]

Commands:
  version    print the version
  help       print this help
`, version)
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "version", "--version":
		fmt.Println("certgate", version)
	case "help", "-h", "--help":
		usage(os.Stdout)
	default:
		fmt.Fprintf(os.Stderr, "certgate: unknown command %q\n\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
}
