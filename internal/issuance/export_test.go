package issuance

// ServedListCached reports whether the served credential of status list id
// is kept in memory (for tests of the cache's keys).
func (is *Issuer) ServedListCached(id string) bool { return is.servedLists().Contains(id) }
