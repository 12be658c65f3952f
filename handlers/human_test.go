package handlers

import "testing"

func TestHumanize(t *testing.T) {
	for in, want := range map[string]string{
		"dateOfBirth":                          "Date of birth",
		"date_of_birth":                        "Date of birth",
		"date-of-birth":                        "Date of birth",
		"degree":                               "Degree",
		"GPA":                                  "GPA",
		"courseURL":                            "Course URL",
		"schema:givenName":                     "Given name",
		"https://example.org/vocab#finalScore": "Final score",
		"x":                                    "X",
		"_":                                    "_",
	} {
		if got := humanize(in); got != want {
			t.Errorf("humanize(%q) = %q, want %q", in, got, want)
		}
	}
}
