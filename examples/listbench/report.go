package main

// report is what a run found: a line per check, PASS or FAIL.
type report struct {
	checks []checkLine
}

type checkLine struct {
	name string
	pass bool
	text string // the line, without its PASS or FAIL
}

func (r *report) add(name string, pass bool, text string) {
	r.checks = append(r.checks, checkLine{name, pass, text})
}

// last is the last check's line, with its PASS or FAIL.
func (r *report) last() string {
	c := r.checks[len(r.checks)-1]
	if c.pass {
		return "PASS  " + c.text
	}
	return "FAIL  " + c.text
}

// passed reports whether there were checks and all passed.
func (r *report) passed() bool {
	if r == nil || len(r.checks) == 0 {
		return false
	}
	for _, c := range r.checks {
		if !c.pass {
			return false
		}
	}
	return true
}
