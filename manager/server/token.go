package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenFileName is the admin token's file in the data directory.
const TokenFileName = "admin-token"

// minTokenLen refuses trivially guessable configured tokens.
const minTokenLen = 16

// GatewayTokenFileName is the gateway token's file in the data directory.
const GatewayTokenFileName = "gateway-token"

// AdminToken resolves the admin token: --admin-token, else
// --admin-token-file, else <data-dir>/admin-token, generated on first start
// (32 random bytes, hex, mode 0600) and printed once to notice. It returns
// the token and where it came from (never the token itself, for logs).
func AdminToken(cfg Config, notice io.Writer) (token, source string, err error) {
	return resolveToken("admin", cfg.AdminToken, cfg.AdminTokenFile, filepath.Join(cfg.DataDir, TokenFileName), notice)
}

// GatewayToken resolves the token gateways present on the long-poll
// endpoint, the same way as AdminToken (<data-dir>/gateway-token).
func GatewayToken(cfg Config, notice io.Writer) (token, source string, err error) {
	return resolveToken("gateway", cfg.GatewayToken, cfg.GatewayTokenFile, filepath.Join(cfg.DataDir, GatewayTokenFileName), notice)
}

func resolveToken(kind, value, file, defaultPath string, notice io.Writer) (token, source string, err error) {
	if value != "" {
		if len(value) < minTokenLen {
			return "", "", fmt.Errorf("%s token must be at least %d characters", kind, minTokenLen)
		}
		return value, "flag/env", nil
	}
	if file != "" {
		tok, err := readToken(kind, file)
		return tok, file, err
	}
	tok, err := readToken(kind, defaultPath)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, defaultPath, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	tok = hex.EncodeToString(raw)
	f, err := os.OpenFile(defaultPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("write %s token: %w", kind, err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	fmt.Fprintf(notice, "certgate: generated a%s %s token, stored in %s (shown only this once):\n\n    %s\n\n", map[bool]string{true: "n"}[kind == "admin"], kind, defaultPath, tok)
	return tok, defaultPath, nil
}

func readToken(kind, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s token: %w", kind, err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minTokenLen {
		return "", fmt.Errorf("%s token in %s must be at least %d characters", kind, path, minTokenLen)
	}
	return tok, nil
}
