// The billing page's card dialog: Stripe.js's card element and confirmCardSetup
// (docs.stripe.com/js/setup_intents/confirm_card_setup). Card data goes from this element to
// Stripe only; the console sees the SetupIntent id afterwards. Loaded from the console's own
// origin; Stripe.js itself from STRIPE_JS_URL, which the billing page's CSP allows.
(function () {
  let stripe = null;
  let card = null;

  function load(url) {
    if (window.Stripe) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error("Stripe.js could not be loaded from " + url));
      document.head.appendChild(s);
    });
  }

  window.dezkyCard = {
    // Mounts the card element (no postal code field) into `selector`.
    async mount(url, publishableKey, selector) {
      await load(url);
      stripe = stripe || window.Stripe(publishableKey);
      if (card) card.destroy();
      card = stripe.elements().create("card", { hidePostalCode: true });
      card.mount(selector);
    },
    // Confirms the SetupIntent: resolves {setupIntent: "seti_…"} or {error: "message"}.
    async confirm(clientSecret) {
      if (!stripe || !card) return { error: "The card form is not ready." };
      const r = await stripe.confirmCardSetup(clientSecret, { payment_method: { card } });
      if (r.error) return { error: r.error.message || "Stripe refused the card." };
      if (!r.setupIntent || r.setupIntent.status !== "succeeded")
        return { error: "The card was not confirmed." };
      return { setupIntent: r.setupIntent.id };
    },
    unmount() {
      if (card) card.destroy();
      card = null;
    },
  };
})();
