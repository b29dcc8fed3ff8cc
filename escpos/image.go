package escpos

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// Dither selects how grey levels become black and white dots.
type Dither byte

// Dithering methods.
const (
	FloydSteinberg Dither = iota // error diffusion: photos and logos with shading
	Threshold                    // a dot is black when darker than ImageOptions.Threshold
)

// ImageOptions shape a raster image. Zero fields take the defaults shown.
type ImageOptions struct {
	Dither    Dither
	Threshold uint8 // grey level below which a dot is black with Threshold (128)
	// MaxWidth scales wider images down to this many dots (the profile's Dots).
	MaxWidth int
}

// maxBand is the most rows sent in one GS v 0 command; taller images are split.
const maxBand = 2048

// Image prints img as a raster bit image (GS v 0), scaled down to the paper width if
// wider, converted to black and white by the chosen dithering.
func (b *Builder) Image(img image.Image, o ImageOptions) *Builder {
	if b.err != nil {
		return b
	}
	if img == nil || img.Bounds().Empty() {
		return b.fail(fmt.Errorf("escpos: empty image: %w", ErrImage))
	}
	if o.MaxWidth == 0 {
		o.MaxWidth = b.prof.Dots
	}
	if o.Threshold == 0 {
		o.Threshold = 128
	}
	r, err := Rasterize(img, o)
	if err != nil {
		return b.fail(err)
	}
	return b.raster(r)
}

// Raster prints an image already converted to dots (see Rasterize), as it is: convert a
// logo once and print it on every ticket without dithering it again. An image wider
// than the paper is an error.
func (b *Builder) Raster(r *Raster) *Builder {
	if b.err != nil {
		return b
	}
	if r == nil || r.Width <= 0 || r.Height <= 0 || len(r.Bits) != r.stride()*r.Height {
		return b.fail(fmt.Errorf("escpos: malformed raster: %w", ErrImage))
	}
	if r.Width > b.prof.Dots {
		return b.fail(fmt.Errorf("escpos: raster %d dots wide on %d-dot paper: %w", r.Width, b.prof.Dots, ErrImage))
	}
	return b.raster(r)
}

// raster sends r with the profile's image command (Profile.ImageMode).
func (b *Builder) raster(r *Raster) *Builder {
	if r.Width > 0xffff*8 {
		return b.fail(fmt.Errorf("escpos: image %d dots wide: %w", r.Width, ErrImage))
	}
	stride := r.stride()
	switch mode := b.prof.ImageMode(); mode {
	case ImageRaster:
		for y := 0; y < r.Height; y += maxBand {
			h := min(maxBand, r.Height-y)
			b.Raw(gs, 'v', '0', 0, byte(stride), byte(stride>>8), byte(h), byte(h>>8))
			b.Raw(r.Bits[y*stride : (y+h)*stride]...)
		}
	case ImageGraphics:
		// GS ( L fn 112 stores a band in the print buffer (at most 65535 parameter
		// bytes), fn 50 prints it.
		rows := (0xffff - 10) / stride
		for y := 0; y < r.Height; y += rows {
			h := min(rows, r.Height-y)
			p := 10 + h*stride
			b.Raw(gs, '(', 'L', byte(p), byte(p>>8), 48, 112, 48, 1, 1, 49,
				byte(r.Width), byte(r.Width>>8), byte(h), byte(h>>8))
			b.Raw(r.Bits[y*stride : (y+h)*stride]...)
			b.Raw(gs, '(', 'L', 2, 0, 48, 50)
		}
	case ImageColumn24, ImageColumn8:
		b.columnImage(r, mode)
	default:
		return b.fail(fmt.Errorf("escpos: %s has no image command: %w", b.prof.Name, ErrImage))
	}
	return b
}

// columnImage sends r as ESC * column images, one band of 24 dots per line with the
// line spacing set to 24 dots so that the bands touch: ESC * 33 sends the 24 rows of a
// band as 3 bytes a column; ESC * 1 prints each of its 8 dots three tall, so it sends
// every third row (the middle one of each three).
func (b *Builder) columnImage(r *Raster, mode ImageMode) {
	b.Raw(esc, '3', 24)
	w := r.Width
	for y0 := 0; y0 < r.Height; y0 += 24 {
		if mode == ImageColumn24 {
			b.Raw(esc, '*', 33, byte(w), byte(w>>8))
		} else {
			b.Raw(esc, '*', 1, byte(w), byte(w>>8))
		}
		b.scratch = b.scratch[:0]
		for x := range w {
			if mode == ImageColumn24 {
				for k := range 3 {
					var c byte
					for bit := range 8 {
						if r.Black(x, y0+k*8+bit) {
							c |= 0x80 >> bit
						}
					}
					b.scratch = append(b.scratch, c)
				}
				continue
			}
			var c byte
			for bit := range 8 {
				if r.Black(x, y0+bit*3+1) {
					c |= 0x80 >> bit
				}
			}
			b.scratch = append(b.scratch, c)
		}
		b.Raw(b.scratch...)
		b.Raw(lf)
	}
	b.Raw(esc, '2')
}

// Raster is a black-and-white bit image as ESC/POS sends it: rows of ceil(Width/8)
// bytes, most significant bit leftmost, 1 = black.
type Raster struct {
	Width, Height int
	Bits          []byte
}

func newRaster(w, h int) *Raster {
	return &Raster{Width: w, Height: h, Bits: make([]byte, (w+7)/8*h)}
}

func (r *Raster) stride() int { return (r.Width + 7) / 8 }

// Black reports whether the dot at x, y is black.
func (r *Raster) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= r.Width || y >= r.Height {
		return false
	}
	return r.Bits[y*r.stride()+x/8]&(0x80>>(x%8)) != 0
}

func (r *Raster) set(x, y int) {
	r.Bits[y*r.stride()+x/8] |= 0x80 >> (x % 8)
}

func (r *Raster) fillRect(x0, y0, w, h int) {
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			r.set(x, y)
		}
	}
}

// Rasterize converts img to black and white dots: scaled down to o.MaxWidth when wider
// (if set), transparent areas white, then dithered or thresholded.
func Rasterize(img image.Image, o ImageOptions) (*Raster, error) {
	bounds := img.Bounds()
	if bounds.Empty() {
		return nil, fmt.Errorf("escpos: empty image: %w", ErrImage)
	}
	w, h := bounds.Dx(), bounds.Dy()
	if o.MaxWidth > 0 && w > o.MaxWidth {
		h = max(1, h*o.MaxWidth/w)
		w = o.MaxWidth
	}
	if o.Threshold == 0 {
		o.Threshold = 128
	}
	// Flatten onto white, then scale down.
	grey := image.NewGray(image.Rect(0, 0, bounds.Dx(), bounds.Dy()))
	draw.Draw(grey, grey.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(grey, grey.Bounds(), img, bounds.Min, draw.Over)
	if w != bounds.Dx() || h != bounds.Dy() {
		grey = shrink(grey, w, h)
	}
	r := newRaster(w, h)
	switch o.Dither {
	case Threshold:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if grey.Pix[y*grey.Stride+x] < o.Threshold {
					r.set(x, y)
				}
			}
		}
	case FloydSteinberg:
		floydSteinberg(grey, r)
	default:
		return nil, fmt.Errorf("escpos: dither %d: %w", o.Dither, ErrArgument)
	}
	return r, nil
}

// shrink scales g down to w×h dots by averaging the area of g each dot covers (a box
// filter: what a smaller picture of the same paper would show, without ringing).
func shrink(g *image.Gray, w, h int) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			sum := 0
			for yy := y0; yy < y1; yy++ {
				for _, v := range g.Pix[yy*g.Stride+x0 : yy*g.Stride+x1] {
					sum += int(v)
				}
			}
			n := (y1 - y0) * (x1 - x0)
			out.Pix[y*out.Stride+x] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// floydSteinberg diffuses each dot's quantisation error to its right and lower
// neighbours (7/16, 3/16, 5/16, 1/16), keeping two rows of error.
func floydSteinberg(g *image.Gray, r *Raster) {
	w, h := r.Width, r.Height
	cur := make([]int, w+2)
	next := make([]int, w+2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := int(g.Pix[y*g.Stride+x]) + cur[x+1]/16
			out := 255
			if v < 128 {
				out = 0
				r.set(x, y)
			}
			e := v - out
			cur[x+2] += e * 7
			next[x] += e * 3
			next[x+1] += e * 5
			next[x+2] += e
		}
		cur, next = next, cur
		clear(next)
	}
}

// Gray returns the dots as a grey image: black 0, white 255.
func (r *Raster) Gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, r.Width, r.Height))
	for y := range r.Height {
		for x := range r.Width {
			if !r.Black(x, y) {
				g.Pix[y*g.Stride+x] = 0xff
			}
		}
	}
	return g
}
