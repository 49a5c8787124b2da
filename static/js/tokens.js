// The issue-token form: only the scopes the chosen user's role allows can be ticked (the
// options carry them in data-scopes; the server refuses the others anyway). And a click on
// the new token's field selects it, ready to copy.
(function () {
  var form = document.querySelector("[data-form=issue-token]");
  if (form) {
    var holder = form.querySelector("select[name=user_id]");
    var limit = function () {
      if (!holder) return;
      var option = holder.options[holder.selectedIndex];
      var allowed = option ? (option.getAttribute("data-scopes") || "").split(" ") : [];
      form.querySelectorAll("input[name=scopes]").forEach(function (box) {
        var ok = allowed.indexOf(box.value) >= 0;
        box.disabled = !ok;
        if (!ok) box.checked = false;
      });
    };
    if (holder) holder.addEventListener("change", limit);
    limit();
  }
  var plain = document.querySelector("[data-plain-token]");
  if (plain) {
    plain.addEventListener("focus", function () { plain.select(); });
    plain.addEventListener("click", function () { plain.select(); });
  }
})();
