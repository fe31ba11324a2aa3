package badgerstore

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// ErrEncryptionKeyMismatch is returned by Open when the directory was
// created with another encryption key, with a key while none is given, or
// without a key while one is given. Badger cannot convert a directory in
// place: export the data with the old setting and import it with the new.
var ErrEncryptionKeyMismatch = errors.New("badgerstore: encryption key mismatch")

// LoadEncryptionKey decodes an AES key of 16, 24 or 32 bytes given as hex or
// base64 (standard or URL alphabet, padded or not), either directly (value)
// or in a file (file; surrounding whitespace ignored). Exactly one of them
// may be set; both empty returns nil, nil (no encryption). Errors never
// include the key.
func LoadEncryptionKey(value, file string) ([]byte, error) {
	switch {
	case value != "" && file != "":
		return nil, errors.New("badgerstore: give the encryption key either directly or in a file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("badgerstore: read encryption key file: %w", err)
		}
		value = string(b)
		if strings.TrimSpace(value) == "" {
			return nil, fmt.Errorf("badgerstore: encryption key file %s is empty", file)
		}
	case value == "":
		return nil, nil
	}
	s := strings.TrimSpace(value)
	if b, err := hex.DecodeString(s); err == nil {
		return b, checkKeyLength(len(b))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, checkKeyLength(len(b))
		}
	}
	return nil, errors.New("badgerstore: the encryption key is neither hex nor base64 (generate one with: openssl rand -hex 32)")
}

func checkKeyLength(n int) error {
	if n != 16 && n != 24 && n != 32 {
		return fmt.Errorf("badgerstore: the encryption key has %d bytes; AES needs 16, 24 or 32 (generate one with: openssl rand -hex 32)", n)
	}
	return nil
}

// openError explains the failures of badger.Open that encryption causes.
func openError(dir string, withKey bool, err error) error {
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		if withKey {
			return fmt.Errorf("%w: %s was created without encryption or with another key; "+
				"start without the key, or with the key it was created with (%v)", ErrEncryptionKeyMismatch, dir, err)
		}
		return fmt.Errorf("%w: %s is encrypted at rest; start with its encryption key (--encryption-key-file) (%v)",
			ErrEncryptionKeyMismatch, dir, err)
	}
	return fmt.Errorf("badgerstore: open %s: %w", dir, err)
}
