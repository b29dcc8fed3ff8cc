//go:build linux && !386 && !arm && !mips && !mipsle

package powercut

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// mount mounts a power-cut filesystem over backing at a fresh folder and unmounts it (a
// cut) at the end of the test.
func mount(t *testing.T, backing string, opt Options) *FS {
	t.Helper()
	SkipWithoutFUSE(t)
	p, err := Mount(backing, t.TempDir(), opt)
	if err != nil {
		t.Fatal(err) // /dev/fuse exists: a mount that fails is a failure
	}
	t.Cleanup(func() { p.Unmount() })
	return p
}

func write(t *testing.T, path string, off int64, b []byte) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	return f
}

func syncDir(t *testing.T, path string) {
	t.Helper()
	d, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

func onDisk(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "<none>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSyncedDataSurvivesUnsyncedDoesNot(t *testing.T) {
	backing := t.TempDir()
	os.WriteFile(filepath.Join(backing, "f"), []byte("old"), 0o600)
	p := mount(t, backing, Options{})
	f := write(t, filepath.Join(p.Dir(), "f"), 0, []byte("synced"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("SYNCED, then more"), 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil { // fdatasync persists as fsync does
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("lost"), 0); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(p.Dir(), "f")); string(b) != "lostED, then more" {
		t.Fatalf("reads see %q, not the page cache", b)
	}
	p.Cut()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, syscall.EIO) {
		t.Fatalf("a write after the cut: %v, want EIO", err)
	}
	f.Close()
	if err := p.Unmount(); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(t, filepath.Join(backing, "f")); got != "SYNCED, then more" {
		t.Fatalf("after the cut the disk holds %q", got)
	}
	// Mounted again, the file reads as the disk holds it.
	p = mount(t, backing, Options{})
	if b, _ := os.ReadFile(filepath.Join(p.Dir(), "f")); string(b) != "SYNCED, then more" {
		t.Fatalf("after a remount: %q", b)
	}
}

func TestNamesNeedTheFolderSynced(t *testing.T) {
	backing := t.TempDir()
	os.WriteFile(filepath.Join(backing, "old"), []byte("o"), 0o600)
	p := mount(t, backing, Options{})
	mnt := p.Dir()
	f := write(t, filepath.Join(mnt, "new"), 0, []byte("n"))
	f.Sync() // the data, not the name
	f.Close()
	os.Mkdir(filepath.Join(mnt, "sub"), 0o700)
	g := write(t, filepath.Join(mnt, "sub", "g"), 0, []byte("g"))
	g.Sync()
	g.Close()
	syncDir(t, filepath.Join(mnt, "sub")) // on the disk only once sub itself is
	if err := os.Rename(filepath.Join(mnt, "old"), filepath.Join(mnt, "renamed")); err != nil {
		t.Fatal(err)
	}
	p.Unmount()
	if onDisk(t, filepath.Join(backing, "new")) != "<none>" || onDisk(t, filepath.Join(backing, "old")) != "o" ||
		onDisk(t, filepath.Join(backing, "renamed")) != "<none>" || onDisk(t, filepath.Join(backing, "sub", "g")) != "<none>" {
		t.Fatal("a name reached the disk without an fsync of its folder")
	}

	p = mount(t, backing, Options{})
	mnt = p.Dir()
	f = write(t, filepath.Join(mnt, "new"), 0, []byte("n"))
	f.Sync()
	f.Close()
	os.Mkdir(filepath.Join(mnt, "sub"), 0o700)
	g = write(t, filepath.Join(mnt, "sub", "g"), 0, []byte("g"))
	g.Sync()
	g.Close()
	syncDir(t, filepath.Join(mnt, "sub"))
	os.Rename(filepath.Join(mnt, "old"), filepath.Join(mnt, "renamed"))
	syncDir(t, mnt)
	unsynced := write(t, filepath.Join(mnt, "sub", "late"), 0, []byte("l"))
	unsynced.Sync()
	unsynced.Close()
	p.Unmount()
	if onDisk(t, filepath.Join(backing, "new")) != "n" || onDisk(t, filepath.Join(backing, "old")) != "<none>" ||
		onDisk(t, filepath.Join(backing, "renamed")) != "o" || onDisk(t, filepath.Join(backing, "sub", "g")) != "g" ||
		onDisk(t, filepath.Join(backing, "sub", "late")) != "<none>" {
		entries, _ := os.ReadDir(backing)
		t.Fatalf("the folder fsync did not write its names: %v", entries)
	}
}

// TestMmapSeesWrites: bbolt reads its file through a shared read-only mmap and writes it
// with pwrite; the map must see the writes, before and after an fsync.
func TestMmapSeesWrites(t *testing.T) {
	p := mount(t, t.TempDir(), Options{})
	path := filepath.Join(p.Dir(), "db")
	f := write(t, path, 0, bytes.Repeat([]byte{'a'}, 3*PageSize))
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, 3*PageSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap over FUSE: %v", err)
	}
	defer unix.Munmap(m)
	if m[PageSize] != 'a' {
		t.Fatalf("mapped %q", m[PageSize])
	}
	f.WriteAt([]byte("b"), PageSize)
	if m[PageSize] != 'b' {
		t.Fatalf("the map does not see a write: %q", m[PageSize])
	}
	f.Sync()
	f.WriteAt([]byte("c"), 2*PageSize+1)
	if m[2*PageSize+1] != 'c' || m[PageSize] != 'b' {
		t.Fatalf("the map after fsync: %q %q", m[PageSize], m[2*PageSize+1])
	}
}

// TestCutAtAnOperation: the CutAt-th change fails, and so does everything after it.
func TestCutAtAnOperation(t *testing.T) {
	backing := t.TempDir()
	p := mount(t, backing, Options{CutAt: 4}) // create, write, write, then the fsync
	f, err := os.Create(filepath.Join(p.Dir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteAt([]byte("a"), 0)
	f.WriteAt([]byte("b"), 1)
	select {
	case <-p.Cutted():
		t.Fatal("cut too early")
	default:
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("the fsync at the cut: %v, want EIO", err)
	}
	<-p.Cutted()
	if _, err := os.ReadFile(filepath.Join(p.Dir(), "f")); err == nil {
		t.Fatal("a read after the cut succeeded")
	}
	if s := p.Stats(); s.Ops != 4 || s.Writes != 2 || s.FileSyncs != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestTornWrites: with Keep, a cut keeps some unsynced pages whole and drops the others,
// the same ones for the same seed.
func TestTornWrites(t *testing.T) {
	run := func(seed uint64) (string, Stats) {
		backing := t.TempDir()
		os.WriteFile(filepath.Join(backing, "f"), bytes.Repeat([]byte{'.'}, 16*PageSize), 0o600)
		p := mount(t, backing, Options{Seed: seed, Keep: 0.5})
		f := write(t, filepath.Join(p.Dir(), "f"), 0, bytes.Repeat([]byte{'x'}, 16*PageSize))
		f.Close()
		p.Unmount()
		got := onDisk(t, filepath.Join(backing, "f"))
		if len(got) != 16*PageSize {
			t.Fatalf("size %d", len(got))
		}
		var pages []byte
		for i := 0; i < 16; i++ {
			pg := got[i*PageSize : (i+1)*PageSize]
			if pg != strings.Repeat(pg[:1], PageSize) {
				t.Fatalf("page %d torn inside", i)
			}
			pages = append(pages, pg[0])
		}
		return string(pages), p.Stats()
	}
	a, st := run(7)
	b, _ := run(7)
	if a != b {
		t.Fatalf("seed 7 kept %s, then %s", a, b)
	}
	if st.Kept == 0 || st.Dropped == 0 || st.Kept+st.Dropped != 16 {
		t.Fatalf("kept %s: %+v", a, st)
	}
	t.Logf("seed 7 kept the pages %s of 16 unsynced", a)
}
