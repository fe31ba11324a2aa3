// Command certgate is the certgate manager: the publisher-side service that
// stores APIs, client certificates and tiers, and pushes them to gateways.
//
// Subcommands register themselves from their own files (see serve.go): add
// a file with an init() that calls register(command{...}).
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand. run receives the arguments after the
// subcommand's name and returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("certgate: duplicate command " + c.name)
	}
	commands[c.name] = c
}

func init() {
	register(command{name: "version", summary: "print the version", run: func(_ []string, stdout, _ io.Writer) int {
		fmt.Fprintln(stdout, "certgate", version)
		return 0
	}})
	register(command{name: "help", summary: "print this help, or a command's help (certgate help serve)", run: runHelp})
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "certgate %s — client-certificate security for HTTP APIs behind Envoy\n\nUsage:\n  certgate <command> [flags]\n\nCommands:\n", version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun \"certgate <command> --help\" for a command's flags.\n")
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if c, ok := commands[args[0]]; ok && c.name != "help" {
			return c.run([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "certgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	usage(stdout)
	return 0
}

// dispatch runs the subcommand named by args[0].
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help":
		return runHelp(nil, stdout, stderr)
	case "--version":
		args[0] = "version"
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "certgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}
