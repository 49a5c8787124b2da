// The card payment's return page (templates/payments/card_payment.html): its GET only shows; the
// page asks Stripe how the payment stands (a POST, which may apply it) once by itself.
(function () {
  "use strict";
  var form = document.getElementById("check-card-payment");
  if (form && form.dataset.autoCheck === "1") {
    form.submit();
  }
})();
