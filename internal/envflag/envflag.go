// Package envflag gives every certgate command the same flag convention:
// each flag has a CERTGATE_* environment twin that sets its default, an
// explicit flag wins, and --help lists both.
package envflag

import (
	"flag"
	"fmt"
	"io"
)

// Spec is one string flag and its environment variable.
type Spec struct {
	Name, Env, Default, Usage string
	Target                    *string
	// Secret hides the value in the help (it may come from the environment).
	Secret bool
}

// Register defines every spec on fs, defaulting each to its environment
// variable (via getenv) when set, else to Default.
func Register(fs *flag.FlagSet, specs []Spec, getenv func(string) string) {
	for _, s := range specs {
		def := s.Default
		if v := getenv(s.Env); v != "" {
			def = v
		}
		fs.StringVar(s.Target, s.Name, def, s.Usage)
	}
}

// PrintUsage writes one entry per spec: the flag, its usage, its
// environment variable and its built-in default.
func PrintUsage(out io.Writer, specs []Spec) {
	width := 0
	for _, s := range specs {
		width = max(width, len(s.Name))
	}
	for _, s := range specs {
		fmt.Fprintf(out, "  --%-*s %s\n  %-*s env %s", width+1, s.Name, s.Usage, width+3, "", s.Env)
		switch {
		case s.Default != "" && s.Secret:
			fmt.Fprint(out, ", default (hidden)")
		case s.Default != "":
			fmt.Fprintf(out, ", default %s", s.Default)
		}
		fmt.Fprintln(out)
	}
}
