package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"ticketkiosk/device"
	"ticketkiosk/escpos/virtual"
)

// File writes each job to a folder as a numbered file, 000001.escpos,
// 000002.escpos, ..., with what the virtual printer makes of it beside it (000001.png,
// 000001.txt); with Config.NamedJobs, a job that carries a name (device.WithJobName) is
// written under that name instead (sale-0001.escpos, a second job of that name
// sale-0001-2.escpos). It is the demo's printer and always ready unless the folder is not
// writable.
type File struct {
	cfg  Config
	dir  string
	mu   sync.Mutex
	next int
}

var _ device.Printer = (*File)(nil)

// NewFile returns a printer writing into cfg.Path, creating the folder if need
// be. Numbering continues after the highest job already there.
func NewFile(cfg Config) (*File, error) {
	cfg = cfg.withDefaults()
	if cfg.Path == "" {
		return nil, errors.New("printer: file: no folder")
	}
	if err := os.MkdirAll(cfg.Path, 0o755); err != nil {
		return nil, fmt.Errorf("printer: file: %w", err)
	}
	p := &File{cfg: cfg, dir: cfg.Path}
	last, err := lastJob(cfg.Path)
	if err != nil {
		return nil, err
	}
	p.next = last + 1
	return p, nil
}

// lastJob returns the highest job number in dir (0 when none).
func lastJob(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("printer: file: %w", err)
	}
	last := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".escpos")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil && n > last {
			last = n
		}
	}
	return last, nil
}

// Status reports ready when a file can be created in the folder, and ErrOffline when
// not.
func (p *File) Status(ctx context.Context) (device.PrinterStatus, error) {
	if err := ctx.Err(); err != nil {
		return device.PrinterStatus{}, err
	}
	f, err := os.CreateTemp(p.dir, ".status-*")
	if err != nil {
		return device.PrinterStatus{}, fmt.Errorf("printer: file: %w: %w", device.ErrOffline, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return device.PrinterStatus{Online: true}, nil
}

// Print writes job as the next numbered .escpos file, then its .png and .txt
// renderings. A job that does not render completely is still kept; the renderings show
// what printed.
func (p *File) Print(ctx context.Context, job []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	name := ""
	if n := device.JobName(ctx); p.cfg.NamedJobs && n != "" && filepath.Base(n) == n && !strings.HasPrefix(n, ".") {
		name = n
	}
	var base string
	for again := 1; ; again++ {
		switch {
		case name == "":
			base = filepath.Join(p.dir, fmt.Sprintf("%06d", p.next))
		case again == 1:
			base = filepath.Join(p.dir, name)
		default:
			base = filepath.Join(p.dir, fmt.Sprintf("%s-%d", name, again))
		}
		f, err := os.OpenFile(base+".escpos", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) { // another writer took the number or the name
			if name == "" {
				p.next++
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("printer: file: %w: %w", device.ErrOffline, err)
		}
		_, werr := f.Write(job)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(base + ".escpos")
			return fmt.Errorf("printer: file: %w: %w", device.ErrOffline, werr)
		}
		if name == "" {
			p.next++
		}
		break
	}
	paper, rerr := virtual.Render(job, virtual.RenderOptions{Profile: p.cfg.Profile})
	if rerr != nil {
		p.cfg.Logger.Warn("job does not render completely", "file", base+".escpos", "err", rerr)
	}
	var png bytes.Buffer
	if err := paper.WritePNG(&png); err != nil {
		return fmt.Errorf("printer: file: %w", err)
	}
	if err := os.WriteFile(base+".png", png.Bytes(), 0o644); err != nil {
		return fmt.Errorf("printer: file: %w", err)
	}
	if err := os.WriteFile(base+".txt", []byte(paper.Text), 0o644); err != nil {
		return fmt.Errorf("printer: file: %w", err)
	}
	return nil
}

// Halt does nothing: every job is already on disk.
func (p *File) Halt() error { return nil }

// String returns e.g. "file printer out/tickets".
func (p *File) String() string { return "file printer " + p.dir }
