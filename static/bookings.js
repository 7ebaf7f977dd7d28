// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Ask before a cancel form is sent (the server asks nothing: the button says what it does).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
