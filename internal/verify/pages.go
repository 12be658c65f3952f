package verify

// Page is one of our credentials' public page as sent, gzip-compressed (a
// few KB, so that many fit in memory), with what its log entry needs;
// kept in Service.Pages for one stamp. Few pointers: the garbage
// collector scans every cached page on each cycle.
type Page struct {
	HTML           []byte // the whole HTML page, gzipped
	Report         []byte // the verification result as log rows store it (Report)
	Verdict        string
	CredentialID   string
	OrganizationID string
}

// pageOverhead estimates what a cached page costs besides its bytes: the
// Page, its strings' headers, the LRU's element and map slot.
const pageOverhead = 400

func (p *Page) weight() int64 {
	return int64(len(p.HTML) + len(p.Report) + len(p.Verdict) + len(p.CredentialID) + len(p.OrganizationID) + pageOverhead)
}

// NewPages makes the cache of public pages, bounded by maxBytes of page
// and report bytes plus each page's bookkeeping (0: none is kept).
func NewPages(maxBytes int64) *Cache[*Page] {
	return NewWeightedCache(maxBytes, (*Page).weight)
}

// LogPage logs a view of a page served from Pages, with the result it
// was made from.
func (s *Service) LogPage(p *Page, v Visit) {
	if s.Logs == nil {
		return
	}
	l := s.entry(v)
	l.CredentialID, l.OrganizationID = &p.CredentialID, &p.OrganizationID
	l.Verdict, l.ResultJSON = &p.Verdict, p.Report
	s.Logs.Record(l)
}
