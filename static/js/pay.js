// The pay page (templates/payments/pay.html): the card goes into Stripe's own element and to
// Stripe (confirmCardSetup, with a SetupIntent the page asks the portal for by POST when the
// buyer pays: loading the page changes nothing); the portal receives only the payment method's
// id, then confirms
// the milestone's PaymentIntent on the server. A 3-D Secure step, when Stripe asks for one,
// is finished here with confirmCardPayment. Works with the real stripe.js and localstripe's.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("pay-button");
  var newCard = document.getElementById("new-card");

  function showError(message) {
    errors.textContent = message || "The card could not be used.";
    errors.classList.remove("d-none");
    button.disabled = false;
  }

  if (form.dataset.nextActionSecret) {
    button.disabled = true;
    stripe.confirmCardPayment(form.dataset.nextActionSecret).then(function (result) {
      if (result.error) {
        showError(result.error.message);
      } else {
        window.location.assign(form.dataset.doneUrl);
      }
    });
    return;
  }

  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function savedCardChosen() {
    var chosen = form.querySelector("input[name=saved_card]:checked");
    return chosen && chosen.value ? chosen.value : "";
  }

  form.querySelectorAll("input[name=saved_card]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      newCard.classList.toggle("d-none", savedCardChosen() !== "");
    });
  });

  form.addEventListener("submit", function (event) {
    if (form.dataset.confirmed === "1" || savedCardChosen() !== "") {
      return; // a saved card: the server charges it
    }
    event.preventDefault();
    button.disabled = true;
    errors.classList.add("d-none");
    fetch(form.dataset.setupUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("input[name=csrf_token]").value },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok || !body.setup_secret) {
            throw new Error(body.error);
          }
          return stripe.confirmCardSetup(body.setup_secret, { payment_method: { card: card } });
        });
      })
      .then(function (result) {
        if (result.error) {
          showError(result.error.message);
          return;
        }
        var method = result.setupIntent.payment_method;
        document.getElementById("payment-method").value =
          typeof method === "string" ? method : method.id;
        form.dataset.confirmed = "1";
        form.submit();
      })
      .catch(function (error) {
        showError(error && error.message);
      });
  });
})();
