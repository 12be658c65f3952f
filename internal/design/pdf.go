package design

import (
	"bytes"
	"fmt"
	"io"

	"codeberg.org/go-pdf/fpdf"
)

// Names of the files embedded in a certificate PDF.
const (
	CredentialFile = "credential.json" // the signed credential
	DesignFile     = "design.json"     // the design the page was laid out with
)

// MaxPDFBytes is the largest certificate PDF TrustCred makes or reads.
const MaxPDFBytes = 8 << 20

// PDF writes the certificate of in laid out by d as a one-page PDF with its
// fonts embedded (subsets), the signed credential and the design as
// embedded files.
func PDF(w io.Writer, d *Design, in Input) error {
	l, err := Lay(d, in)
	if err != nil {
		return err
	}
	orient := "P"
	if d.Page.Orientation == "landscape" {
		orient = "L"
	}
	size := "A4"
	if d.Page.Size == "Letter" {
		size = "Letter"
	}
	f := fpdf.New(orient, "mm", size, "")
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	f.SetCreator("TrustCred", true)
	f.SetProducer("TrustCred", true)
	if in.Title != "" {
		f.SetTitle(Clean(in.Title), true)
	}
	// Only the fonts the page uses: fpdf (v0.12.0) parses each one and
	// JSON-hashes its width table per document, and has no supported way
	// to give a document a font parsed once (see ARCHITECTURE, "Certificate
	// designs and PDFs").
	added := map[string]bool{}
	for _, op := range l.Ops {
		if op.Type == TypeText && !added[op.Font] {
			f.AddUTF8FontFromBytes(op.Font, "", fontBytes[op.Font])
			added[op.Font] = true
		}
	}
	f.AddPage()
	f.SetFillColor(int(l.Background.R), int(l.Background.G), int(l.Background.B))
	f.Rect(0, 0, l.W, l.H, "F")
	images := 0
	drawImage := func(op Op) error {
		b, typ, err := op.JPEG, "JPG", error(nil)
		if b == nil {
			if b, typ, err = pdfImageOf(op.Image); err != nil {
				return err
			}
		}
		images++
		name := fmt.Sprintf("img%d", images)
		opts := fpdf.ImageOptions{ImageType: typ}
		f.RegisterImageOptionsReader(name, opts, bytes.NewReader(b))
		f.ImageOptions(name, op.X, op.Y, op.W, op.H, false, opts, 0, "")
		return f.Error()
	}
	if l.Back != nil {
		if err := drawImage(*l.Back); err != nil {
			return err
		}
	}
	if l.Border != nil {
		f.SetDrawColor(int(l.Border.R), int(l.Border.G), int(l.Border.B))
		f.SetLineWidth(1.5)
		f.Rect(6, 6, l.W-12, l.H-12, "D")
		f.SetLineWidth(0.4)
		f.Rect(9, 9, l.W-18, l.H-18, "D")
	}
	for _, op := range l.Ops {
		switch op.Type {
		case TypeText:
			f.SetFont(op.Font, "", op.Size)
			f.SetTextColor(int(op.Colour.R), int(op.Colour.G), int(op.Colour.B))
			f.Text(op.TX, op.Baseline, op.Text)
		case TypeLine:
			f.SetDrawColor(int(op.Colour.R), int(op.Colour.G), int(op.Colour.B))
			f.SetLineWidth(max(op.Stroke, 0.1))
			f.Line(op.X, op.Y, op.X+op.W, op.Y+op.H)
		case TypeBox:
			style := ""
			if op.Fill != nil {
				f.SetFillColor(int(op.Fill.R), int(op.Fill.G), int(op.Fill.B))
				style += "F"
			}
			if op.Stroke > 0 {
				f.SetDrawColor(int(op.Colour.R), int(op.Colour.G), int(op.Colour.B))
				f.SetLineWidth(op.Stroke)
				style += "D"
			}
			if style != "" {
				f.Rect(op.X, op.Y, op.W, op.H, style)
			}
		case TypeQR:
			drawQR(op, func(x, y, w, h float64) { f.Rect(x, y, w, h, "F") }, func() {
				f.SetFillColor(255, 255, 255)
				f.Rect(op.X, op.Y, op.W, op.H, "F")
				f.SetFillColor(0, 0, 0)
			})
		case TypeImage:
			if err := drawImage(op); err != nil {
				return err
			}
		}
	}
	var files []fpdf.Attachment
	if len(in.Credential) > 0 {
		files = append(files, fpdf.Attachment{Content: in.Credential, Filename: CredentialFile, Description: "The signed credential"})
	}
	files = append(files, fpdf.Attachment{Content: d.JSON(), Filename: DesignFile, Description: "The certificate's design"})
	f.SetAttachments(files)
	return f.Output(w)
}

// drawQR draws the code's dark modules as rectangles (runs of a row merged)
// on a white square with a quiet zone of four modules.
func drawQR(op Op, rect func(x, y, w, h float64), white func()) {
	n := len(op.QR)
	if n == 0 {
		return
	}
	white()
	mod := op.W / float64(n+8)
	for y, row := range op.QR {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			rect(op.X+float64(start+4)*mod, op.Y+float64(y+4)*mod, float64(x-start)*mod, mod*1.02) // overlap: no hairline between rows
		}
	}
}
