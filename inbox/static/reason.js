// Counts each reason's UTF-8 bytes as the person types, as the order
// service does, and holds back a form whose reason is too long. Without it
// the page works the same: the server refuses a long reason and gives it back.
(function () {
  "use strict";
  var utf8 = new TextEncoder();
  function n(x) { return x.toLocaleString("en-US"); }
  document.querySelectorAll("textarea[data-max-bytes]").forEach(function (box) {
    var max = Number(box.getAttribute("data-max-bytes"));
    var count = document.getElementById(box.getAttribute("data-count"));
    var live = document.getElementById(box.getAttribute("data-live"));
    var timer = 0;
    function update() {
      // Line breaks count as one byte, as the server counts them.
      var over = utf8.encode(box.value).length - max;
      var msg = over > 0 ?
        "Too long by " + n(over) + (over === 1 ? " byte" : " bytes") + ": shorten the reason to send it." :
        n(-over) + (over === -1 ? " byte left." : " bytes left.");
      count.textContent = msg;
      count.classList.toggle("over", over > 0);
      box.setCustomValidity(over > 0 ? msg : "");
      if (over > 0) {
        box.setAttribute("aria-invalid", "true");
      } else {
        box.removeAttribute("aria-invalid");
      }
      return msg;
    }
    box.addEventListener("input", function () {
      var msg = update();
      // Screen readers hear the count when the typing pauses.
      clearTimeout(timer);
      timer = setTimeout(function () { live.textContent = msg; }, 1000);
    });
    update();
  });
})();
