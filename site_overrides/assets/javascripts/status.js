/* The site is static and rebuilt daily; a page read later than its build day still tells the truth:
   a 公示 whose last day has passed shows 公示期满, and "截至" shows the reader's date.
   Dates are compared in China Standard Time (UTC+8), where the period's 24:00 falls. */
(function () {
  "use strict";
  var now = new Date(Date.now() + 8 * 3600 * 1000);
  var today = now.toISOString().slice(0, 10);
  var label = now.getUTCFullYear() + "年" + (now.getUTCMonth() + 1) + "月" + now.getUTCDate() + "日";
  var changed = false;
  document.querySelectorAll(".status-in_publicity[data-last-day]").forEach(function (el) {
    if (today > el.getAttribute("data-last-day")) {
      el.textContent = "公示期满";
      el.classList.remove("status-in_publicity");
      el.classList.add("status-ended");
      changed = true;
    }
  });
  document.querySelectorAll(".status-asof[data-built]").forEach(function (el) {
    if (today > el.getAttribute("data-built")) {
      el.textContent = "（截至" + label + "）";
    }
  });
  if (changed) {
    document.documentElement.setAttribute("data-status-updated", today);
  }
})();
