package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/track"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium (Debian's package; see
// shared/notes/chromium.md) with args and returns its standard output. It
// skips the test when Chromium is not installed, unless CI is "true".
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing with CI=true: scripts/deps.sh test installs chromium", chromiumPath)
		}
		t.Skipf("%s not installed (scripts/deps.sh test installs Debian's chromium); skipping the browser check", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--no-first-run", "--disable-extensions"}
	cmd := exec.CommandContext(ctx, chromiumPath, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// imgProbe, appended to a copy of the page, records after load whether each
// image decoded and its natural size, in a DOM element --dump-dom prints.
const imgProbe = `<script>
window.addEventListener("load", function () {
  var out = document.createElement("pre");
  out.id = "imgprobe";
  out.textContent = Array.prototype.map.call(document.images, function (i) {
    return i.complete + ":" + i.naturalWidth + "x" + i.naturalHeight;
  }).join(" ");
  document.body.appendChild(out);
});
</script>`

var vermillion = [3]uint8{0xD5, 0x5E, 0x00}

var probeRe = regexp.MustCompile(`<pre id="imgprobe">([^<]*)</pre>`)

func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("%s not installed (scripts/deps.sh test installs Debian's chromium); skipping the browser check", chromiumPath)
	}
	s := openStore(t)
	fillStore(t, s)
	out := t.TempDir()
	res, err := Build(s, track.Filter{}, out, Options{Resamples: 500, CurveResamples: 100, Title: "browser test", Uncertainty: []string{"train/lambda"}})
	if err != nil {
		t.Fatal(err)
	}
	// Move the page away from the PNG files: it must not need them.
	page, err := os.ReadFile(res.HTML)
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "alone.html")
	if err := os.WriteFile(alone, page, 0o644); err != nil {
		t.Fatal(err)
	}

	// 1. Every figure loads: the probe reports each image complete with the
	// PNG's natural size.
	probed := filepath.Join(filepath.Dir(alone), "probed.html")
	withProbe := strings.Replace(string(page), "</body>", imgProbe+"\n</body>", 1)
	if err := os.WriteFile(probed, []byte(withProbe), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, "--virtual-time-budget=5000", "--dump-dom", "file://"+probed)
	m := probeRe.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no probe output in the dumped DOM (%d bytes)", len(dom))
	}
	imgs := strings.Fields(string(m[1]))
	if len(imgs) != len(res.Figures) {
		t.Fatalf("browser saw %d images, want %d: %s", len(imgs), len(res.Figures), m[1])
	}
	for i, im := range imgs {
		if im != "true:624x384" {
			t.Errorf("image %d: %s, want loaded at 624x384", i, im)
		}
	}
	if !strings.Contains(string(dom), "Last: IQM [95% CI]") || !strings.Contains(string(dom), "hopper-medium-v2") {
		t.Error("dumped DOM lacks the results table")
	}

	// 2. The rendered page is not blank: a screenshot tall enough to hold the
	// table and the first figures has many colours, and the first method's
	// line colour (from the figures) is on screen.
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, "--window-size=1000,1600", "--screenshot="+shot, "file://"+alone)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img := decodePNG(t, b)
	// Vermillion (iql's line) appears only in the figures, not in the CSS.
	distinct, nearLine := colours(img, vermillion, 10)
	t.Logf("screenshot %v: %d distinct colours, %d pixels of the iql line colour", img.Bounds().Size(), distinct, nearLine)
	if distinct < 100 {
		t.Errorf("screenshot has %d distinct colours: blank page?", distinct)
	}
	if nearLine < 200 {
		t.Errorf("screenshot has %d pixels of the figures' line colour: figures not drawn?", nearLine)
	}
}
