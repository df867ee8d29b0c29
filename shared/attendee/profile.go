package attendee

import "time"

// Touch stamps a change of the profile made at now: a new profile gets its
// creation time, and UpdatedAt moves forward, never back, even when clocks
// step back (NTP, another instance with a slower clock).
func (p *Profile) Touch(now time.Time) {
	now = now.UTC()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if !p.UpdatedAt.IsZero() && !now.After(p.UpdatedAt) {
		now = p.UpdatedAt.Add(time.Microsecond)
	}
	p.UpdatedAt = now
}

// Changes names the fields (as the API names them) in which q differs from p.
func (p Profile) Changes(q Profile) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"displayName", p.DisplayName == q.DisplayName},
		{"company", p.Company == q.Company},
		{"jobTitle", p.JobTitle == q.JobTitle},
		{"persona", p.Persona == q.Persona},
		{"visibility", p.Visibility == q.Visibility},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}
