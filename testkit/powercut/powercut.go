//go:build linux && !386 && !arm && !mips && !mipsle

// Package powercut is a FUSE filesystem for tests that loses, at a simulated power cut,
// everything that was not made durable (the LazyFS model). Only tests import it. It builds
// for 64-bit Linux only: go-fuse's splice wrappers do not compile for 32-bit targets, so
// its tests and the tests that import it are left out of the armv6 run of make test-arm.
//
// The filesystem is mounted over a real backing directory, which stands for the disk: at
// mount its files are loaded into memory, and from then on reads and writes see memory (the
// page cache). The disk changes only when the kernel would have made a change durable:
//
//   - fsync or fdatasync of a file writes that file's data and size to the disk (both calls
//     persist the same; the model has no metadata beyond the size);
//   - fsync of a directory writes its names to the disk: files created, renamed into it or
//     unlinked from it since exist on the disk as they do in memory. Nothing else persists a
//     name: a new file whose folder was never fsync'd is lost at a cut even if the file was;
//   - a cut (Cut, or the operation chosen by Options.CutAt) freezes the disk: every later
//     operation fails with EIO, as for a process that outlived its disk. What was written
//     but not synced is dropped, except that each unsynced 4 KiB page of each file reaches
//     the disk with probability Options.Keep, independently and whole (the kernel's
//     writeback may have flushed any subset of the dirty pages, in any order, before the
//     power went). Keep 0 is LazyFS's clean model; a Keep between 0 and 1 also tears
//     multi-page writes, the harsher and more honest model. Pages kept beyond the synced
//     size extend the file up to them; an unsynced truncation is dropped.
//
// Unmount after a cut leaves the backing directory holding exactly what survived; Mount
// again over it to reboot. Hard links, symbolic links and special files are refused.
//
// A file is served without direct I/O, so the kernel's page cache holds its pages and a
// shared read-only mmap (bbolt reads its file so) sees every write made through write(2).
// Map a file of the mount only in another process than the one serving it (Cycle runs a
// child): a thread faulting on the map cannot be stopped by the Go runtime, so the next
// garbage collection would wait for it while it waits for the stopped server.
package powercut

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// PageSize is the unit in which unsynced data reaches the disk at a cut.
const PageSize = 4096

// Options configure Mount.
type Options struct {
	// Seed seeds the choice of the unsynced pages that a cut keeps.
	Seed uint64
	// Keep is the probability that an unsynced page reaches the disk at a cut; 0 drops all.
	Keep float64
	// CutAt, when positive, cuts the power instead of performing the CutAt-th operation
	// that changes something (write, truncate, fsync, create, mkdir, unlink, rmdir,
	// rename) counted from the mount. That operation fails with EIO and Cutted closes.
	CutAt int
}

// Stats count what a mounted FS did.
type Stats struct {
	Ops       int // operations that change something, as CutAt counts them
	Writes    int // write calls
	FileSyncs int // fsync or fdatasync of a file
	DirSyncs  int // fsync of a directory
	Dropped   int // unsynced pages dropped at the cut
	Kept      int // unsynced pages that reached the disk at the cut
}

// FS is a mounted power-cut filesystem.
type FS struct {
	backing, mnt string
	server       *fuse.Server

	mu     sync.Mutex
	opt    Options
	rng    *rand.Rand
	cut    bool
	cutted chan struct{}
	stats  Stats
	files  []*file // every file of the mount, for the cut
}

// Mount mounts a power-cut filesystem at mountpoint over the backing directory, which holds
// what is on the disk. It needs /dev/fuse and root (it mounts with mount(2) itself, and falls
// back on fusermount).
func Mount(backing, mountpoint string, opt Options) (*FS, error) {
	backing, err := filepath.Abs(backing)
	if err != nil {
		return nil, err
	}
	p := &FS{backing: backing, mnt: mountpoint, opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		cutted: make(chan struct{})}
	root := &dir{pfs: p, durable: map[string]*fs.Inode{}, isRoot: true}
	sec := time.Second
	server, err := fs.Mount(mountpoint, root, &fs.Options{
		MountOptions: fuse.MountOptions{FsName: "powercut", Name: "powercut", DirectMount: true, MaxWrite: 1 << 20},
		EntryTimeout: &sec, AttrTimeout: &sec,
		OnAdd: func(ctx context.Context) {
			if err := p.load(ctx, root, &root.Inode, backing); err != nil {
				panic(fmt.Sprintf("powercut: load %s: %v", backing, err))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("powercut: mount %s: %w", mountpoint, err)
	}
	p.server = server
	if err := server.WaitMount(); err != nil {
		server.Unmount()
		return nil, fmt.Errorf("powercut: mount %s: %w", mountpoint, err)
	}
	return p, nil
}

// load reads the backing directory at path into d: what is on the disk is also in memory.
func (p *FS) load(ctx context.Context, d *dir, ino *fs.Inode, path string) error {
	ents, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range ents {
		sub := filepath.Join(path, e.Name())
		var child *fs.Inode
		switch {
		case e.IsDir():
			cd := &dir{pfs: p, durable: map[string]*fs.Inode{}, link: link{dparent: d, dname: e.Name()}}
			child = ino.NewPersistentInode(ctx, cd, fs.StableAttr{Mode: syscall.S_IFDIR})
			if err := p.load(ctx, cd, child, sub); err != nil {
				return err
			}
		case e.Type().IsRegular():
			b, err := os.ReadFile(sub)
			if err != nil {
				return err
			}
			f := &file{pfs: p, data: b, disk: append([]byte(nil), b...), dirty: map[int64]bool{}, link: link{dparent: d, dname: e.Name()}}
			p.files = append(p.files, f)
			child = ino.NewPersistentInode(ctx, f, fs.StableAttr{Mode: syscall.S_IFREG})
		default:
			return fmt.Errorf("%s: neither a file nor a folder", sub)
		}
		ino.AddChild(e.Name(), child, false)
		d.durable[e.Name()] = child
	}
	return nil
}

// Dir is the mount point.
func (p *FS) Dir() string { return p.mnt }

// Cutted is closed when the power is cut.
func (p *FS) Cutted() <-chan struct{} { return p.cutted }

// Stats returns what the mount did so far.
func (p *FS) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Cut cuts the power now (see the package documentation). A second cut does nothing.
func (p *FS) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

func (p *FS) cutLocked() {
	if p.cut {
		return
	}
	p.cut = true
	for _, f := range p.files {
		pages := make([]int64, 0, len(f.dirty))
		for pg := range f.dirty {
			pages = append(pages, pg)
		}
		sort.Slice(pages, func(i, j int) bool { return pages[i] < pages[j] })
		var kept []int64
		for _, pg := range pages {
			if p.opt.Keep <= 0 || p.rng.Float64() >= p.opt.Keep {
				p.stats.Dropped++
				continue
			}
			p.stats.Kept++
			kept = append(kept, pg)
			lo, hi := pg*PageSize, min((pg+1)*PageSize, int64(len(f.data)))
			if lo >= hi {
				continue
			}
			if int64(len(f.disk)) < hi {
				f.disk = append(f.disk, make([]byte, hi-int64(len(f.disk)))...)
			}
			copy(f.disk[lo:hi], f.data[lo:hi])
		}
		f.dirty = map[int64]bool{}
		f.writePages(kept) // a failure leaves the older content on the disk: those pages were lost
	}
	close(p.cutted)
}

// Unmount cuts the power and unmounts. The backing directory then holds what survived.
// Processes must have closed their files on the mount (a process killed at the cut has);
// when one has not, the mount is detached lazily and the error returned.
func (p *FS) Unmount() error {
	p.Cut()
	err := p.server.Unmount()
	if err != nil {
		syscall.Unmount(p.mnt, syscall.MNT_DETACH)
		return fmt.Errorf("powercut: unmount %s: %w", p.mnt, err)
	}
	return nil
}

// op counts an operation that changes something and says whether the power is still on.
// It holds p.mu on return when it returns 0.
func (p *FS) op() syscall.Errno {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		return syscall.EIO
	}
	p.stats.Ops++
	if p.opt.CutAt > 0 && p.stats.Ops >= p.opt.CutAt {
		p.cutLocked()
		p.mu.Unlock()
		return syscall.EIO
	}
	return 0
}

// read takes p.mu for an operation that changes nothing; it fails once the power is cut.
func (p *FS) read() syscall.Errno {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		return syscall.EIO
	}
	return 0
}

// SkipWithoutFUSE skips t on a machine without /dev/fuse at all, where no FUSE filesystem
// can ever mount. Where /dev/fuse exists, a mount that fails is the test's failure, not a
// skip: the machine should have run the test.
func SkipWithoutFUSE(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); errors.Is(err, iofs.ErrNotExist) {
		t.Skip("powercut: this machine has no /dev/fuse, so no FUSE filesystem can mount (the power-cut tests need one)")
	}
}
