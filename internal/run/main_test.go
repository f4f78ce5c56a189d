package run

import (
	"os"
	"testing"

	"github.com/parityproof/parityproof/internal/testenv/motoserver"
)

// moto is one moto_server for the tests of this package that need AWS,
// started by the first of them.
var moto motoserver.Shared

func TestMain(m *testing.M) {
	// The AWS SDK's default chain finds moto's credentials, never the
	// user's own.
	motoserver.SetEnv()
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// motoEnv starts (or reuses) moto_server.
func motoEnv(t *testing.T) *motoserver.Server {
	t.Helper()
	return moto.Get(t)
}
