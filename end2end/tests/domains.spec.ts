import { test, expect, Page, APIRequestContext } from "@playwright/test";
import { signInAtIdp } from "./journey";

const DNS = `http://127.0.0.1:${process.env.E2E_DNS_CONTROL_PORT ?? "3902"}`;
const STALWART = `http://127.0.0.1:${process.env.E2E_STALWART_PORT ?? "3903"}`;
const ADMIN = { username: "adam@acme.example", password: "demo-admin-2026" };

type Rec = { kind: string; name: string; value: string; required: boolean };

async function publish(request: APIRequestContext, records: Rec[], override: Record<string, string> = {}) {
  for (const r of records.filter((r) => r.required)) {
    await request.delete(`${DNS}/_sandbox/dns/records?name=${encodeURIComponent(r.name)}`);
  }
  for (const r of records.filter((r) => r.required)) {
    const value = override[r.name] ?? r.value;
    const res = await request.post(`${DNS}/_sandbox/dns/records`, {
      data: { name: r.name, type: r.kind === "MX" ? "MX" : "TXT", value },
    });
    expect(res.status()).toBe(204);
  }
}

test("a domain goes from added to verified, a wrong record shows what was found, and it can be removed", async ({ page, request }) => {
  const domain = `e2e-${Date.now().toString(36)}.example`;
  await page.goto("/admin/acme/domains");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#domain-name").fill(domain.toUpperCase());
  await page.locator("#add-domain-submit").click();
  await expect(page).toHaveURL(new RegExp(`/admin/acme/domains/${domain}$`));
  await expect(page.locator("#domain-title")).toContainText(domain);
  await expect(page.locator(".domain-status")).toHaveAttribute("data-status", "pending");
  await expect(page.locator('#records tr[data-kind="MX"]')).toContainText("mail.dezky.example");
  await expect(page.locator("#zone-download")).toHaveAttribute("download", `${domain}.zone`);

  // Stalwart generates the DKIM keys shortly after creation: wait until they are listed.
  let view: { records: (Rec & { state: string })[] } = { records: [] };
  await expect
    .poll(async () => {
      view = await (await page.request.get(`/api/tenants/acme/domains/${domain}`)).json();
      return view.records.filter((r) => r.kind === "DKIM" && r.state !== "pending").length;
    })
    .toBe(2);
  // Publish everything, but with a wrong DKIM key.
  const dkim = (view.records as Rec[]).find((r) => r.kind === "DKIM")!;
  await publish(request, view.records, { [dkim.name]: "v=DKIM1; k=ed25519; p=WRONGKEY" });
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#recheck").click();
  const wrong = page.locator(`#records tr[data-kind="DKIM"][data-state="mismatch"]`);
  await expect(wrong).toContainText("Found: v=DKIM1; k=ed25519; p=WRONGKEY");
  await expect(page.locator(".domain-status")).toHaveAttribute("data-status", "needs_attention");

  await publish(request, view.records);
  // A slow DMARC answer: the other records show their result while it is still checking.
  const dmarc = (view.records as Rec[]).find((r) => r.kind === "DMARC")!;
  await request.post(`${DNS}/_sandbox/dns/delays`, { data: { name: dmarc.name, delay_ms: 1500 } });
  await page.locator("#recheck").click();
  // (The table is redrawn as each answer arrives, so a row can briefly exist twice: take the first.)
  await expect(page.locator('#records tr[data-kind="DMARC"][data-state="checking"]').first()).toBeVisible();
  await expect(page.locator('#records tr[data-kind="SPF"][data-state="ok"]').first()).toBeVisible();
  await expect(page.locator('#records tr[data-kind="DMARC"][data-state="checking"]').first()).toBeVisible();
  await request.post(`${DNS}/_sandbox/dns/delays`, { data: { name: dmarc.name, delay_ms: 0 } });
  await expect(page.locator(".domain-status")).toHaveAttribute("data-status", "verified");
  await expect(page.locator('#records tr[data-state="mismatch"]')).toHaveCount(0);

  // A mailbox on the domain: removal is refused and says which.
  const mailbox = await request.post(`${STALWART}/_sandbox/stalwart/accounts`, { data: { name: "alice", domain } });
  expect(mailbox.ok()).toBeTruthy();
  await page.locator("#remove-domain").click();
  await page.locator("#confirm-remove").click();
  await expect(page.locator("#domain-error")).toContainText(`alice@${domain}`);
  await expect(page).toHaveURL(new RegExp(`/admin/acme/domains/${domain}$`));

  // Once the mailbox is gone (removed in Stalwart directly), removal is allowed.
  const id = (await mailbox.json()).id;
  const gone = await request.post(`${STALWART}/_sandbox/stalwart/accounts/${id}/delete`);
  expect(gone.status()).toBe(204);
  await page.locator("#confirm-remove").click();
  await expect(page).toHaveURL(/\/admin\/acme\/domains$/);
  await expect(page.locator(`#domains tr[data-domain="${domain}"]`)).toHaveCount(0);
});

test("in the sandbox a newcomer walks through in the browser: add a domain, publish its records in the sandbox DNS, make it primary, add a member", async ({ page }) => {
  const domain = `walk-${Date.now().toString(36)}.example`;
  await page.goto("/admin/acme/domains");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#domain-name").fill(domain);
  await page.locator("#add-domain-submit").click();
  await expect(page).toHaveURL(new RegExp(`/admin/acme/domains/${domain}$`));
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  // Stalwart's DKIM keys first (they come shortly after creation), then one click.
  await expect
    .poll(async () => {
      const view = await (await page.request.get(`/api/tenants/acme/domains/${domain}`)).json();
      return view.records.filter((r: { kind: string; state: string }) => r.kind === "DKIM" && r.state !== "pending").length;
    })
    .toBe(2);
  await page.reload();
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#sandbox-publish").click();
  await expect(page.locator("#domain-notice")).toContainText("the domain is verified");
  await expect(page.locator(".domain-status")).toHaveAttribute("data-status", "verified");
  await page.locator("#make-primary").click();
  await expect(page.locator("#domain-title")).toContainText(domain);
  await expect(page.getByText("primary", { exact: true })).toBeVisible();

  await page.goto("/admin/acme/members");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#add-member").click();
  await page.locator("#member-first-name").fill("Walk");
  await page.locator("#member-last-name").fill("Through");
  await page.locator("#member-local-part").fill("walk");
  await page.locator("#create-member-submit").click();
  await expect(page.locator("#otp-reveal")).toContainText(`walk@${domain}`);
  // Leave acme's member count as the later journeys expect it.
  const members = await (await page.request.get("/api/tenants/acme/members")).json();
  const walk = members.members.find((m: { address: string }) => m.address === `walk@${domain}`);
  expect((await page.request.delete(`/api/tenants/acme/members/${walk.id}`)).status()).toBe(204);
});
