// shopflow console: the only script. Buttons with data-confirm ask before their form is sent;
// the deploy page copies a chosen file into the text box. The pages work without it.
document.addEventListener("submit", function (e) {
  var button = e.submitter;
  var text = (button && button.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
  if (text && !window.confirm(text)) { e.preventDefault(); }
});
document.addEventListener("change", function (e) {
  var input = e.target;
  if (input.type === "file" && input.files && input.files[0] && input.form && input.form.yaml) {
    input.files[0].text().then(function (text) { input.form.yaml.value = text; });
  }
});
