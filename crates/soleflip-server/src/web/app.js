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
