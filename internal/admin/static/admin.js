// Live overview: re-fetch the fragment every five seconds and swap it in,
// without a full reload. Pages work without JavaScript (they just do not
// refresh themselves).
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live) { return; }
  function refresh() {
    fetch(live.getAttribute("data-live"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { /* keep the last numbers; try again next tick */ });
  }
  setInterval(refresh, 5000);
})();
