//go:build linux && !386 && !arm && !mips && !mipsle

package powercut

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// link is where a node's name is on the disk: its folder there and its name in it. A node
// whose name never reached the disk (or left it) has no folder.
type link struct {
	dparent *dir
	dname   string
}

// dir is a folder. Its children in memory are the fs.Inode tree; durable are its names on
// the disk, as of its last fsync.
type dir struct {
	fs.Inode
	link
	pfs     *FS
	isRoot  bool
	durable map[string]*fs.Inode
}

// file is a regular file: data is what reads see, disk what survives a cut, dirty the pages
// written (or truncated) since the last fsync.
type file struct {
	fs.Inode
	link
	pfs   *FS
	data  []byte
	disk  []byte
	dirty map[int64]bool
	mtime time.Time
}

var (
	_ fs.NodeGetattrer = (*dir)(nil)
	_ fs.NodeSetattrer = (*dir)(nil)
	_ fs.NodeCreater   = (*dir)(nil)
	_ fs.NodeMkdirer   = (*dir)(nil)
	_ fs.NodeUnlinker  = (*dir)(nil)
	_ fs.NodeRmdirer   = (*dir)(nil)
	_ fs.NodeRenamer   = (*dir)(nil)
	_ fs.NodeFsyncer   = (*dir)(nil)

	_ fs.NodeGetattrer = (*file)(nil)
	_ fs.NodeSetattrer = (*file)(nil)
	_ fs.NodeOpener    = (*file)(nil)
	_ fs.NodeReader    = (*file)(nil)
	_ fs.NodeWriter    = (*file)(nil)
	_ fs.NodeFsyncer   = (*file)(nil)
	_ fs.NodeFlusher   = (*file)(nil)
	_ fs.NodeAllocater = (*file)(nil)
)

// diskPath is where a folder is on the disk; "" when it is not there.
func (d *dir) diskPath() string {
	if d.isRoot {
		return d.pfs.backing
	}
	return d.link.path()
}

// path is where a node linked so is on the disk; "" when it is not there.
func (l link) path() string {
	if l.dparent == nil {
		return ""
	}
	parent := l.dparent.diskPath()
	if parent == "" {
		return ""
	}
	return filepath.Join(parent, l.dname)
}

func linkOf(n *fs.Inode) *link {
	switch v := n.Operations().(type) {
	case *dir:
		return &v.link
	case *file:
		return &v.link
	}
	return nil
}

func (d *dir) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFDIR | 0o755
	out.Nlink = 2
	return 0
}

func (d *dir) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return d.Getattr(ctx, fh, out)
}

func (d *dir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if errno := d.pfs.op(); errno != 0 {
		return nil, nil, 0, errno
	}
	defer d.pfs.mu.Unlock()
	if d.GetChild(name) != nil {
		return nil, nil, 0, syscall.EEXIST
	}
	f := &file{pfs: d.pfs, dirty: map[int64]bool{}, mtime: time.Now()}
	d.pfs.files = append(d.pfs.files, f)
	ch := d.NewPersistentInode(ctx, f, fs.StableAttr{Mode: syscall.S_IFREG})
	f.attr(&out.Attr)
	return ch, nil, 0, 0
}

func (d *dir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if errno := d.pfs.op(); errno != 0 {
		return nil, errno
	}
	defer d.pfs.mu.Unlock()
	if d.GetChild(name) != nil {
		return nil, syscall.EEXIST
	}
	cd := &dir{pfs: d.pfs, durable: map[string]*fs.Inode{}}
	ch := d.NewPersistentInode(ctx, cd, fs.StableAttr{Mode: syscall.S_IFDIR})
	out.Mode = syscall.S_IFDIR | 0o755
	return ch, 0
}

func (d *dir) Unlink(ctx context.Context, name string) syscall.Errno {
	if errno := d.pfs.op(); errno != 0 {
		return errno
	}
	defer d.pfs.mu.Unlock()
	if d.GetChild(name) == nil {
		return syscall.ENOENT
	}
	return 0
}

func (d *dir) Rmdir(ctx context.Context, name string) syscall.Errno {
	if errno := d.pfs.op(); errno != 0 {
		return errno
	}
	defer d.pfs.mu.Unlock()
	ch := d.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	if len(ch.Children()) > 0 {
		return syscall.ENOTEMPTY
	}
	return 0
}

func (d *dir) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if errno := d.pfs.op(); errno != 0 {
		return errno
	}
	defer d.pfs.mu.Unlock()
	if flags&^uint32(1) != 0 { // only RENAME_NOREPLACE
		return syscall.EINVAL
	}
	if d.GetChild(name) == nil {
		return syscall.ENOENT
	}
	if target := newParent.EmbeddedInode().GetChild(newName); target != nil {
		if flags&1 != 0 {
			return syscall.EEXIST
		}
		if target.IsDir() && len(target.Children()) > 0 {
			return syscall.ENOTEMPTY
		}
	}
	return 0
}

// Fsync of a folder writes its names to the disk: the names gone since are removed there,
// the new ones written with what of their node is on the disk.
func (d *dir) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	if errno := d.pfs.op(); errno != 0 {
		return errno
	}
	defer d.pfs.mu.Unlock()
	d.pfs.stats.DirSyncs++
	if err := d.sync(); err != nil {
		return syscall.EIO
	}
	return 0
}

func (d *dir) sync() error {
	view := d.Children()
	base := d.diskPath()
	for name, ch := range d.durable {
		if view[name] == ch {
			continue
		}
		delete(d.durable, name)
		if l := linkOf(ch); l != nil && l.dparent == d && l.dname == name {
			*l = link{}
		}
		if base != "" {
			if err := os.RemoveAll(filepath.Join(base, name)); err != nil {
				return err
			}
		}
	}
	for name, ch := range view {
		if d.durable[name] == ch {
			continue
		}
		l := linkOf(ch)
		if l == nil {
			continue
		}
		d.durable[name] = ch
		*l = link{dparent: d, dname: name}
		if base != "" {
			if err := materialize(ch, filepath.Join(base, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// materialize writes a node that just got its name on the disk, with what of it is there.
func materialize(n *fs.Inode, path string) error {
	switch v := n.Operations().(type) {
	case *file:
		return os.WriteFile(path, v.disk, 0o600)
	case *dir:
		os.RemoveAll(path)
		if err := os.Mkdir(path, 0o700); err != nil {
			return err
		}
		for name, ch := range v.durable {
			if l := linkOf(ch); l != nil && l.dparent == v && l.dname == name {
				if err := materialize(ch, filepath.Join(path, name)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (f *file) attr(a *fuse.Attr) {
	a.Mode = syscall.S_IFREG | 0o600
	a.Nlink = 1
	a.Size = uint64(len(f.data))
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = PageSize
	a.SetTimes(nil, &f.mtime, &f.mtime)
}

func (f *file) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if errno := f.pfs.read(); errno != 0 {
		return errno
	}
	defer f.pfs.mu.Unlock()
	f.attr(&out.Attr)
	return 0
}

func (f *file) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if sz, ok := in.GetSize(); ok {
		if errno := f.pfs.op(); errno != 0 {
			return errno
		}
		f.resize(int64(sz))
	} else if errno := f.pfs.read(); errno != 0 {
		return errno
	}
	defer f.pfs.mu.Unlock()
	f.attr(&out.Attr)
	return 0
}

// resize truncates or extends data with zeros; the pages between both sizes are dirty.
func (f *file) resize(sz int64) {
	old := int64(len(f.data))
	if sz < old {
		f.data = f.data[:sz]
	} else if sz > old {
		f.data = append(f.data, make([]byte, sz-old)...)
	}
	f.markDirty(min(old, sz), max(old, sz))
	f.mtime = time.Now()
}

func (f *file) markDirty(lo, hi int64) {
	if hi <= lo {
		return
	}
	for pg := lo / PageSize; pg <= (hi-1)/PageSize; pg++ {
		f.dirty[pg] = true
	}
}

func (f *file) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		if errno := f.pfs.op(); errno != 0 {
			return nil, 0, errno
		}
		f.resize(0)
	} else if errno := f.pfs.read(); errno != 0 {
		return nil, 0, errno
	}
	f.pfs.mu.Unlock()
	return nil, 0, 0
}

func (f *file) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if errno := f.pfs.read(); errno != 0 {
		return nil, errno
	}
	defer f.pfs.mu.Unlock()
	if off >= int64(len(f.data)) {
		return fuse.ReadResultData(nil), 0
	}
	n := copy(dest, f.data[off:])
	return fuse.ReadResultData(dest[:n]), 0
}

func (f *file) Write(ctx context.Context, fh fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if errno := f.pfs.op(); errno != 0 {
		return 0, errno
	}
	defer f.pfs.mu.Unlock()
	f.pfs.stats.Writes++
	end := off + int64(len(data))
	if old := int64(len(f.data)); end > old {
		f.data = append(f.data, make([]byte, end-old)...)
		f.markDirty(old, end)
	}
	copy(f.data[off:], data)
	f.markDirty(off, end)
	f.mtime = time.Now()
	return uint32(len(data)), 0
}

func (f *file) Allocate(ctx context.Context, fh fs.FileHandle, off uint64, size uint64, mode uint32) syscall.Errno {
	if errno := f.pfs.op(); errno != 0 {
		return errno
	}
	defer f.pfs.mu.Unlock()
	if mode&1 == 0 { // not FALLOC_FL_KEEP_SIZE
		if end := int64(off + size); end > int64(len(f.data)) {
			f.resize(end)
		}
	}
	return 0
}

func (f *file) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

// Fsync (and fdatasync) writes the file's data and size to the disk.
func (f *file) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	if errno := f.pfs.op(); errno != 0 {
		return errno
	}
	defer f.pfs.mu.Unlock()
	f.pfs.stats.FileSyncs++
	pages := make([]int64, 0, len(f.dirty))
	for pg := range f.dirty {
		pages = append(pages, pg)
	}
	// Pages that are not dirty are on the disk as in memory: copy the others and the size.
	if len(f.disk) > len(f.data) {
		f.disk = f.disk[:len(f.data)]
	} else {
		f.disk = append(f.disk, f.data[len(f.disk):]...)
	}
	for _, pg := range pages {
		if lo, hi := pg*PageSize, min((pg+1)*PageSize, int64(len(f.data))); lo < hi {
			copy(f.disk[lo:hi], f.data[lo:hi])
		}
	}
	f.dirty = map[int64]bool{}
	if err := f.writePages(pages); err != nil {
		return syscall.EIO
	}
	return 0
}

// writePages writes the given pages of disk to the backing file, and its size.
func (f *file) writePages(pages []int64) error {
	path := f.path()
	if path == "" {
		return nil
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer w.Close()
	for _, pg := range pages {
		lo, hi := pg*PageSize, min((pg+1)*PageSize, int64(len(f.disk)))
		if lo >= hi {
			continue
		}
		if _, err := w.WriteAt(f.disk[lo:hi], lo); err != nil {
			return err
		}
	}
	return w.Truncate(int64(len(f.disk)))
}
