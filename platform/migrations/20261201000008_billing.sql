-- Billing on Stripe (issue 13). Stripe holds the subscription, invoices and cards; Dezky keeps
-- only what it must know without asking Stripe: the plan a partner chose for the tenant, the
-- subscription's id, and its last known state (from a webhook or a read of Stripe) so the
-- partner view can show who is behind on payment. No card data, no client secret.
CREATE TABLE tenant_billing (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- Stripe plan or price id, one of STRIPE_PLANS.
    plan_id TEXT,
    subscription_id TEXT,
    -- active | trialing | past_due | unpaid | canceled | incomplete | incomplete_expired |
    -- paused (wire::billing::SubscriptionState); NULL before the first read.
    subscription_state TEXT,
    -- Unix seconds of the event or read the state came from: an older webhook never
    -- overwrites a newer state.
    state_at BIGINT,
    seats_paid BIGINT,
    updated_at BIGINT NOT NULL
);

-- Stripe webhook deliveries already handled (Stripe retries and may deliver twice).
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
