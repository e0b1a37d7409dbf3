// Counts down the last hour before a time opens for booking (then reloads the
// page once, so its "Book" link appears) and the time left on a waitlist offer.
// Without JavaScript the page still says the instant itself.
(function () {
  "use strict";
  var items = document.querySelectorAll("time[data-countdown]");
  if (!items.length) {
    return;
  }
  var loadedAt = Date.now();
  var timer = null;

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function shown(element) {
    var out = element.querySelector(".countdown");
    if (!out) {
      out = document.createElement("span");
      out.className = "countdown";
      element.appendChild(out);
    }
    return out;
  }

  function tick() {
    var now = Date.now();
    var reload = false;
    items.forEach(function (element) {
      var at = Date.parse(element.getAttribute("datetime"));
      var left = Math.floor((at - now) / 1000);
      if (isNaN(left) || left > 3600) {
        return;
      }
      if (left <= 0) {
        shown(element).textContent = "";
        reload = reload || (element.hasAttribute("data-reload") && at > loadedAt);
        return;
      }
      var label = element.getAttribute("data-label") || "";
      shown(element).textContent = " · " + label + " " + pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    });
    if (reload) {
      window.clearInterval(timer);
      window.location.reload();
    }
  }

  tick();
  timer = window.setInterval(tick, 1000);
})();
