// "Copy" buttons for feed addresses: <button data-copy="ID"> copies the value of #ID.
// Progressive enhancement: without JavaScript the read-only field can be copied by hand.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) { return; }
  field.select();
  var done = function () {
    button.textContent = button.getAttribute("data-copied") || button.textContent;
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(field.value).then(done, function () {});
  } else if (document.execCommand("copy")) {
    done();
  }
});
