// What the journeys share: the sandbox's addresses, the demo people, the IdP's sign-in form
// the hydration marker, and a verified primary domain for acme.
import { expect, Page, APIRequestContext } from "@playwright/test";

export const SANDBOX = `http://127.0.0.1:${process.env.E2E_SANDBOX_PORT ?? "3901"}`;

export type Person = { username: string; password: string };

/** Fills the sandbox IdP's sign-in form (the browser is on it) and submits it. */
export async function signInAtIdp(page: Page, who: Person) {
  await expect(page.locator("#username")).toBeVisible();
  await page.locator("#username").fill(who.username);
  await page.locator("#password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Waits until the page has hydrated (buttons that need the wasm work). */
export async function hydrated(page: Page) {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
}

const DNS = `http://127.0.0.1:${process.env.E2E_DNS_CONTROL_PORT ?? "3902"}`;

type Rec = { kind: string; name: string; value: string; required: boolean; state: string };

/** Gives a tenant (acme unless told) a verified primary domain through the API, publishing its records in the DNS sandbox. */
export async function primaryDomain(page: Page, request: APIRequestContext, domain: string, tenant = "acme") {
  expect((await page.request.post(`/api/tenants/${tenant}/reconcile`)).ok()).toBeTruthy();
  expect((await page.request.post(`/api/tenants/${tenant}/domains`, { data: { name: domain } })).status()).toBe(201);
  let records: Rec[] = [];
  await expect
    .poll(async () => {
      records = (await (await page.request.get(`/api/tenants/${tenant}/domains/${domain}`)).json()).records;
      return records.filter((r) => r.kind === "DKIM" && r.state !== "pending").length;
    })
    .toBe(2);
  for (const r of records.filter((r) => r.required)) {
    const res = await request.post(`${DNS}/_sandbox/dns/records`, {
      data: { name: r.name, type: r.kind === "MX" ? "MX" : "TXT", value: r.value },
    });
    expect(res.status()).toBe(204);
  }
  const verified = await (await page.request.post(`/api/tenants/${tenant}/domains/${domain}/recheck`)).json();
  expect(verified.status).toBe("verified");
  expect((await page.request.patch(`/api/tenants/${tenant}/domains/${domain}`, { data: { primary: true } })).ok()).toBeTruthy();
}

