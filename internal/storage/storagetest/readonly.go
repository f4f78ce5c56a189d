package storagetest

import (
	"os"
	"os/exec"
	"testing"
)

// ReadOnly makes the folder dir read-only for this process until t ends:
// by its mode, or for root (whom modes do not stop) with chattr +i, which
// the file system must support; the test is skipped otherwise.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only for root (chattr +i: %v %s)", dir, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
}
