// The PunchOut cart goes back to the procurement system by itself: the page's form (its
// button stays for browsers without scripts) is posted as soon as the page is read.
const form = document.querySelector("form[data-auto-submit]");
if (form) form.submit();
