package web_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustcred/trustcred/internal/browsertest"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// An issuer pastes a file with 3 valid rows and 1 invalid one, sees the
// error by row and column, issues the valid rows, watches the progress bar
// reach done (the real job queue works the batch) and downloads the results.
func TestBrowserBulkIssuance(t *testing.T) {
	tab := browsertest.Tab(t)
	env := webtest.New(t, store.SQLite)
	org := env.Org("acme")
	tpl := bulkTemplate(t, env, org)
	issuer := env.User(store.RoleIssuer, org)
	startBulkQueue(t, env, false)
	base := env.Serve()
	file := "recipient_name,recipient_email,degree,gpa\n" +
		"Ada,ada@example.org,Physics,3.9\n" +
		"Bob,bob@example.org,Physics,4.5\n" +
		"Cleo,cleo@example.org,Chemistry,\n" +
		"Dan,dan@example.org,Maths,2\n"

	q2 := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), issuer.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), webtest.Password),
		chromedp.Click(q2("login-submit")),
		chromedp.WaitVisible(q2("dashboard")),
		chromedp.Navigate(base+"/credentials/bulk"),
		chromedp.WaitVisible(q2("bulk-empty")),
		chromedp.Click(q2("bulk-new")),
		chromedp.WaitVisible(q2("bulk-upload-form")),
		chromedp.SetValue(chromedp.CSS(`#f-template`), tpl),
		chromedp.SetValue(chromedp.CSS(`#f-text`), file),
		chromedp.Click(q2("bulk-upload")),
		chromedp.WaitVisible(q2("bulk-errors")),
	); err != nil {
		t.Fatal(err)
	}
	errText, err := chromedp.Run(tab, chromedp.Text(q2("bulk-errors")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errText, "2") || !strings.Contains(errText, "gpa") || !strings.Contains(errText, "must be at most 4") {
		t.Fatalf("the error table shows %q", errText)
	}
	label, err := chromedp.Run(tab, chromedp.Text(q2("bulk-issue")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(label) != "Issue 3 valid rows" {
		t.Fatalf("issue button %q", label)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(q2("bulk-issue")),
		chromedp.WaitVisible(q2("bulk-progress")),
	); err != nil {
		t.Fatal(err)
	}
	// The bar follows the job without a reload, until done.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](
		`document.querySelector('[data-testid="bulk-progress"]').dataset.status === 'completed' && window.samePage === true`)); err != nil {
		t.Fatalf("the progress did not reach completed in place: %v", err)
	}
	summary, err := chromedp.Run(tab, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="bulk-bar"]').value + ' ' + document.querySelector('[data-testid="bulk-summary"]').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(summary, "100 ") || !strings.Contains(summary, "3 credentials issued, 0 failed") {
		t.Fatalf("summary %q", summary)
	}
	// Download the results through the page's link.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](
		`fetch(document.querySelector('[data-testid="bulk-results"]').href).then(r => r.text()).then(t => { window.results = t }); true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`typeof window.results === 'string'`)); err != nil {
		t.Fatal(err)
	}
	results, err := chromedp.Run(tab, chromedp.Evaluate[string](`window.results`))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(results)).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("results.csv (%v):\n%s", err, results)
	}
	statuses := []string{recs[1][2], recs[2][2], recs[3][2], recs[4][2]}
	if strings.Join(statuses, ",") != "issued,invalid,issued,issued" || !strings.Contains(recs[1][3], "/v/") || !strings.Contains(recs[2][4], "gpa: must be at most 4") {
		t.Fatalf("results.csv:\n%s", results)
	}
}
