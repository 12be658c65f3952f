package home

// Check is one line of the system status panel.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Status is the system status panel's view model.
type Status struct {
	Checks []Check
}

// OK reports whether every check passed.
func (s Status) OK() bool {
	for _, c := range s.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}
