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

// AdminToken resolves the admin token: --admin-token, else
// --admin-token-file, else <data-dir>/admin-token, generated on first start
// (32 random bytes, hex, mode 0600) and printed once to notice. It returns
// the token and where it came from (never the token itself, for logs).
func AdminToken(cfg Config, notice io.Writer) (token, source string, err error) {
	if cfg.AdminToken != "" {
		if len(cfg.AdminToken) < minTokenLen {
			return "", "", fmt.Errorf("admin token must be at least %d characters", minTokenLen)
		}
		return cfg.AdminToken, "flag/env", nil
	}
	if cfg.AdminTokenFile != "" {
		tok, err := readToken(cfg.AdminTokenFile)
		return tok, cfg.AdminTokenFile, err
	}
	path := filepath.Join(cfg.DataDir, TokenFileName)
	tok, err := readToken(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, path, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	tok = hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("write admin token: %w", err)
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
	fmt.Fprintf(notice, "certgate: generated an admin token, stored in %s (shown only this once):\n\n    %s\n\n", path, tok)
	return tok, path, nil
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minTokenLen {
		return "", fmt.Errorf("admin token in %s must be at least %d characters", path, minTokenLen)
	}
	return tok, nil
}
