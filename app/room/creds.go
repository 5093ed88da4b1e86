package room

import (
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nkeys"
)

// maxCreds is the largest credentials file CheckCreds reads.
const maxCreds = 64 << 10

// CheckCreds reports whether path holds a NATS user nkey seed, as
// `podmark room invite` writes it; the error names the file. It is what a
// form checks before it stores the path, so that a wrong file is said at
// once rather than as a refused connection later.
func CheckCreds(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("room: credentials file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCreds+1))
	if err != nil {
		return fmt.Errorf("room: credentials file %s: %w", path, err)
	}
	if len(b) > maxCreds {
		return fmt.Errorf("room: credentials file %s: larger than %d bytes: not an nkey seed", path, maxCreds)
	}
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return fmt.Errorf("room: credentials file %s: no nkey seed in it (want the file 'podmark room invite' wrote): %v", path, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return fmt.Errorf("room: credentials file %s: holds a public key, not a seed", path)
	}
	if pre, _, err := nkeys.DecodeSeed(seed); err != nil || pre != nkeys.PrefixByteUser {
		return fmt.Errorf("room: credentials file %s: not a user seed (SU...)", path)
	}
	return nil
}
