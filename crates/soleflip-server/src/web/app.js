// SoleFlip's only script: tells the server the browser's time zone (a cookie), so times are
// shown in the reader's zone. The pages work without it (times then read in UTC).
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=strict";
    }
  } catch (e) {
    // no Intl: UTC it is
  }
})();

// Progressive enhancement of the purchase form: a size is read by the size service as it is
// typed (on change); an ambiguous one offers its readings as buttons that fill the field. The
// server reads every size again when the form is posted.
(function () {
  function show(out, input, report) {
    out.textContent = "";
    if (report.size) {
      out.textContent = "Reads as " + report.size.label + " (" + report.size.cohort + ")";
    } else if (report.refused) {
      out.textContent = report.refused;
      (report.candidates || []).forEach(function (c) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "secondary size-choice";
        b.textContent = c.label;
        b.setAttribute("aria-label", "Use " + c.label + " for " + (input.labels[0] ? input.labels[0].textContent : "the size"));
        b.addEventListener("click", function () {
          input.value = c.label;
          input.dispatchEvent(new Event("change", { bubbles: true }));
          input.focus();
        });
        out.appendChild(document.createTextNode(" "));
        out.appendChild(b);
      });
    }
  }
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-size-check]")) return;
    var out = document.getElementById(input.id + "-check");
    var text = input.value.trim();
    if (!out) return;
    if (!text) { out.textContent = ""; return; }
    fetch("/api/v1/sizes/parse?input=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { accept: "application/json" }
    })
      .then(function (r) { return r.json(); })
      .then(function (report) { if (input.value.trim() === text) show(out, input, report); })
      .catch(function () { out.textContent = ""; });
  });
})();

// An import's page reloads itself each second while the import runs (without the script, its
// Refresh link does the same).
(function () {
  if (document.querySelector("[data-refresh]")) {
    setTimeout(function () { location.reload(); }, 1000);
  }
})();
