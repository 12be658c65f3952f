package design

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// PreviewDPI is the preview's resolution: an A4 page is 842 × 595 pixels.
const PreviewDPI = 72

// Image draws the page laid out by d for in at dpi dots per inch: the
// preview, from the same layout as the PDF.
func Image(d *Design, in Input, dpi float64) (*image.RGBA, error) {
	l, err := Lay(d, in)
	if err != nil {
		return nil, err
	}
	px := dpi / 25.4 // pixels per millimetre
	img := image.NewRGBA(image.Rect(0, 0, int(math.Round(l.W*px)), int(math.Round(l.H*px))))
	fill := func(x, y, w, h float64, c RGB) {
		r := image.Rect(int(math.Round(x*px)), int(math.Round(y*px)), int(math.Round((x+w)*px)), int(math.Round((y+h)*px)))
		if r.Dx() == 0 && w > 0 {
			r.Max.X++
		}
		if r.Dy() == 0 && h > 0 {
			r.Max.Y++
		}
		draw.Draw(img, r, image.NewUniform(color.RGBA{c.R, c.G, c.B, 255}), image.Point{}, draw.Src)
	}
	frame := func(x, y, w, h, t float64, c RGB) {
		fill(x-t/2, y-t/2, w+t, t, c)
		fill(x-t/2, y+h-t/2, w+t, t, c)
		fill(x-t/2, y-t/2, t, h+t, c)
		fill(x+w-t/2, y-t/2, t, h+t, c)
	}
	fill(0, 0, l.W, l.H, l.Background)
	drawImage := func(op Op) {
		r := image.Rect(int(math.Round(op.X*px)), int(math.Round(op.Y*px)), int(math.Round((op.X+op.W)*px)), int(math.Round((op.Y+op.H)*px)))
		xdraw.ApproxBiLinear.Scale(img, r, op.Image, op.Image.Bounds(), xdraw.Over, nil)
	}
	if l.Back != nil {
		drawImage(*l.Back)
	}
	if l.Border != nil {
		frame(6, 6, l.W-12, l.H-12, 1.5, *l.Border)
		frame(9, 9, l.W-18, l.H-18, 0.4, *l.Border)
	}
	for _, op := range l.Ops {
		switch op.Type {
		case TypeText:
			face, err := opentype.NewFace(sfntFont(op.Font), &opentype.FaceOptions{Size: op.Size, DPI: dpi, Hinting: font.HintingNone})
			if err != nil {
				return nil, err
			}
			dr := font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{op.Colour.R, op.Colour.G, op.Colour.B, 255}), Face: face,
				Dot: fixed.Point26_6{X: fixed.Int26_6(op.TX * px * 64), Y: fixed.Int26_6(op.Baseline * px * 64)}}
			dr.DrawString(op.Text)
			_ = face.Close()
		case TypeLine:
			t := max(op.Stroke, 0.1)
			if op.H == 0 || op.W == 0 {
				fill(op.X-t/2*b2f(op.W == 0), op.Y-t/2*b2f(op.H == 0), max(op.W, t*b2f(op.W == 0)), max(op.H, t*b2f(op.H == 0)), op.Colour)
				continue
			}
			steps := int(math.Hypot(op.W, op.H)*px) + 1
			for i := 0; i <= steps; i++ {
				f := float64(i) / float64(steps)
				fill(op.X+op.W*f-t/2, op.Y+op.H*f-t/2, t, t, op.Colour)
			}
		case TypeBox:
			if op.Fill != nil {
				fill(op.X, op.Y, op.W, op.H, *op.Fill)
			}
			if op.Stroke > 0 {
				frame(op.X, op.Y, op.W, op.H, op.Stroke, op.Colour)
			}
		case TypeQR:
			drawQR(op, func(x, y, w, h float64) { fill(x, y, w, h, RGB{}) }, func() { fill(op.X, op.Y, op.W, op.H, white) })
		case TypeImage:
			drawImage(op)
		}
	}
	return img, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
