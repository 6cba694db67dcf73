import { test, expect, Page } from "@playwright/test";
import { signInAtIdp, hydrated, SANDBOX } from "./journey";
import * as fs from "fs";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };
const ADMIN = { username: "adam@acme.example", password: "demo-admin-2026" };

test("an admin filters the audit log by the URL, opens an event and downloads the CSV", async ({ page }) => {
  // Something to find: a policy change, audited with before and after.
  await page.goto("/admin/acme/security");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await page.locator("#idle-timeout").fill("480");
  await page.locator("#save-policy").click();
  await expect(page.locator("#policy-saved")).toBeVisible();

  await page.locator("#nav-audit").click();
  await expect(page).toHaveURL(/\/admin\/acme\/audit/);
  await expect(page.locator("#audit-chart")).toBeVisible();
  await page.locator("#audit-q").fill("policy_update");
  await page.locator("#audit-outcome").selectOption("success");
  await page.locator("#audit-range").selectOption("7d");
  await page.locator("#audit-apply").click();
  await expect(page).toHaveURL(/q=policy_update/);
  await expect(page).toHaveURL(/outcome=success/);
  await hydrated(page);
  const rows = page.locator("#audit-events li.audit-event");
  await expect(rows.first()).toHaveAttribute("data-action", "security.policy_update");
  await expect(page.locator("#audit-total")).toContainText("events");
  // The filter is in the address: reloading (or sharing it) shows the same view.
  await page.reload();
  await expect(page.locator("#audit-q")).toHaveValue("policy_update");
  await expect(rows.first()).toHaveAttribute("data-action", "security.policy_update");
  // Each row opens to its details.
  await rows.first().locator("summary").click();
  await expect(rows.first().locator(".event-details")).toContainText('"before"');
  // An action chip narrows to its family and says so.
  await page.locator('#audit-chips a[data-family="security"]').click();
  await expect(page).toHaveURL(/action=security\./);
  await expect(page.locator('#audit-chips a[data-family="security"]')).toHaveAttribute("aria-current", "true");

  // The export is the current filter as CSV.
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#audit-export").click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-acme-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = fs.readFileSync((await download.path())!, "utf8");
  const lines = csv.trim().split("\n");
  expect(lines[0]).toBe("time,actor,partner_staff,action,target,outcome,ip,user_agent,request_id,details");
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) expect(line).toContain("security.policy_update");
});

test("an IP allowlist that excludes the browser refuses a second admin, and the owner undoes it", async ({ page, browser }) => {
  await page.goto("/admin/acme/security");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await expect(page.locator('.enforcement[data-setting="ip_allowlist"]')).toHaveAttribute("data-enforcement", "console");
  await expect(page.locator('.enforcement[data-setting="mfa_mode"]')).toHaveAttribute("data-enforcement", "not_enforced");
  await page.locator("#ip-allowlist").fill("10.0.0.0/8");
  await page.locator("#save-policy").click();
  // It would lock the owner out too: asked to confirm first.
  await expect(page.locator("#lockout-warning")).toContainText("127.0.0.1");
  await page.locator("#save-anyway").click();
  await expect(page.locator("#policy-saved")).toBeVisible();

  const adamContext = await browser.newContext();
  const adam = await adamContext.newPage();
  await adam.goto("/admin/acme/members");
  await signInAtIdp(adam, ADMIN);
  await expect(adam.locator("#error")).toHaveAttribute("data-status", "403");
  await expect(adam.locator("#error")).toContainText("127.0.0.1 is not in this workspace");
  await expect(adam.locator("#members")).toHaveCount(0);

  // The owner still reaches the Security page and clears the rule.
  await page.reload();
  await hydrated(page);
  await page.locator("#ip-allowlist").fill("");
  await page.locator("#save-policy").click();
  await expect(page.locator("#policy-saved")).toBeVisible();
  await adam.reload();
  await expect(adam.locator("#members")).toBeVisible();
  await adamContext.close();
});

test("the MFA overview shows who has a second factor, from Authentik", async ({ page, request }) => {
  const r = await request.post(`${SANDBOX}/_sandbox/authentik/users/${encodeURIComponent("mia@acme.example")}/devices`, {
    data: { kind: "totp", name: "Mia's phone", used: true },
  });
  expect(r.status()).toBe(201);
  await page.goto("/admin/acme/mfa");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  const mia = page.locator('#mfa-members tr[data-address="mia@acme.example"]');
  await expect(mia).toHaveAttribute("data-mfa", "enrolled");
  await expect(mia.locator('.authenticator[data-kind="totp"]')).toContainText("Mia's phone");
  await expect(page.locator('#mfa-members tr[data-address="adam@acme.example"]')).toHaveAttribute("data-mfa", "not_enrolled");
  await page.locator('.mfa-filter[data-show="not_enrolled"]').click();
  await expect(page).toHaveURL(/show=not_enrolled/);
  await expect(mia).toBeHidden();
  await expect(page.locator('#mfa-members tr[data-address="adam@acme.example"]')).toBeVisible();
  // The members table's MFA column says the same.
  await page.locator("#nav-members").click();
  await expect(page.locator('#members tr[data-address="mia@acme.example"] .member-mfa [data-mfa]')).toHaveAttribute("data-mfa", "enrolled");
  await expect(page.locator('#members tr[data-address="adam@acme.example"] .member-mfa [data-mfa]')).toHaveAttribute("data-mfa", "not_enrolled");
});
