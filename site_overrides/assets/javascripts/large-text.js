/* 大字模式: body text from 18 px to 22 px, remembered across pages (《互联网网站适老化通用设计规范》).
   Also: the theme wraps wide tables in a scrolling box; make that box reachable by keyboard. */
(function () {
  "use strict";
  function scrollBoxes() {
    document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (box) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "表格（可左右滚动）");
    });
  }
  if (window.document$) { window.document$.subscribe(function () { setTimeout(scrollBoxes); }); }
  document.addEventListener("DOMContentLoaded", scrollBoxes);
  window.addEventListener("load", scrollBoxes);
})();
(function () {
  "use strict";
  var KEY = "gongshi-large-text";
  var root = document.documentElement;
  var button = document.querySelector(".large-text-toggle");
  if (!button) return;
  function show() {
    var on = root.classList.contains("large-text");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "标准字号" : "大字模式";
  }
  button.addEventListener("click", function () {
    root.classList.toggle("large-text");
    try { localStorage.setItem(KEY, root.classList.contains("large-text") ? "1" : "0"); } catch (e) {}
    show();
  });
  show();
})();
