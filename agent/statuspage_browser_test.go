package agent

import (
	"encoding/json"
	"testing"
	"time"
)

// TestStatusPageInChromium loads the status page in a real headless
// Chromium against an agent running the built-in simulator: the source is
// shown connected, the live table fills, and a value in it changes without
// the page being reloaded (a mark set on the window after loading is
// still there).
func TestStatusPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	b := startBrowser(t)
	cfg := simSite(t, historian("acme.page"), true)
	runAgent(t, newAgent(t, cfg))
	defer b.screenshotOnFailure()

	b.navigate("http://" + cfg.HTTPListen + "/")
	b.waitTrue("the page", `document.readyState === "complete" && !!document.querySelector("#live")`, 30*time.Second)
	if err := b.call("Runtime.evaluate", map[string]any{"expression": "window.edgetagTestMark = 42"}, nil); err != nil {
		t.Fatal(err)
	}
	b.waitTrue("source sim connected", `(() => {
		const row = document.querySelector('#sources tr[data-source="sim"]');
		return !!row && row.querySelector(".state").textContent === "connected" && Number(row.children[5].textContent) > 0;
	})()`, 60*time.Second)
	b.waitTrue("site and readiness", `document.querySelector("#site").textContent === "test-site" && document.querySelector("#ready").textContent === "ready"`, 30*time.Second)

	const row = `document.querySelector('#live tr[data-subject$=".Plant.Line1.Press.Temperature"]')`
	b.waitTrue("a press temperature in the live table", `!!`+row, 60*time.Second)
	var first string
	if err := b.eval(row+`.querySelector(".value").textContent`, &first); err != nil {
		t.Fatal(err)
	}
	b.waitTrue("the press temperature changing live", `(() => {
		const v = `+row+`.querySelector(".value").textContent;
		return v !== `+jsString(first)+` && window.edgetagTestMark === 42 && Number(document.body.dataset.liveUpdates) > 0;
	})()`, 60*time.Second)

	// Searching narrows the table to the matching subjects.
	if err := b.call("Runtime.evaluate", map[string]any{"expression": `(() => {
		const s = document.querySelector("#search");
		s.value = "Press.Running";
		s.dispatchEvent(new Event("input"));
	})()`}, nil); err != nil {
		t.Fatal(err)
	}
	b.waitTrue("the search narrowing the table", `(() => {
		const rows = [...document.querySelectorAll("#live tbody tr")];
		return rows.length > 0 && rows.every((r) => r.dataset.subject.includes("Press.Running"));
	})()`, 30*time.Second)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
