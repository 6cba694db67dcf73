import { test, expect } from "@playwright/test";
import { signInAtIdp, hydrated, SANDBOX } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

test("an admin registers an SSO app, copies its secret once, rotates it and deletes it", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/admin/acme/apps");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  // The workspace's Authentik group, which every app is bound to.
  expect((await page.request.post("/api/tenants/acme/reconcile")).ok()).toBeTruthy();

  const suffix = Date.now().toString(36);
  const name = `Wiki ${suffix}`;
  await page.locator("#sso-register").click();
  await page.locator("#sso-name").fill(name);
  await page.locator("#sso-redirect-uris").fill("http://wiki.acme.example/cb");
  // Regex matching is explicit and warned about; exact is the default.
  await page.locator("#sso-matching-regex").check();
  await expect(page.locator("#sso-regex-warning")).toBeVisible();
  await page.locator("#sso-matching-strict").check();
  await expect(page.locator("#sso-regex-warning")).toHaveCount(0);
  // Plain http outside loopback is refused with a message at the field.
  await page.locator("#sso-submit").click();
  await expect(page.locator("#sso-error")).toHaveAttribute("data-field", "redirect_uris");
  await expect(page.locator("#sso-error")).toContainText("use https");
  await page.locator("#sso-redirect-uris").fill("https://wiki.acme.example/cb\nhttp://localhost:8080/cb");
  await page.locator("#sso-launch-url").fill("https://wiki.acme.example/");
  await page.locator("#sso-submit").click();

  const reveal = page.locator("#secret-reveal");
  await expect(reveal).toBeVisible();
  const secret = (await page.locator("#client-secret").textContent()) ?? "";
  expect(secret).toHaveLength(128);
  await page.locator("#client-secret-copy").click();
  await expect(page.locator("#client-secret-copy")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(reveal.locator("#endpoint-issuer")).toContainText(`/application/o/acme_wiki-${suffix}/`);
  await expect(reveal.locator("#endpoint-discovery")).toContainText(".well-known/openid-configuration");

  const row = page.locator(`#sso-apps tr[data-app="${name}"]`);
  await expect(row).toHaveAttribute("data-state", "active");
  await expect(row.locator(".sso-fence")).toHaveText("Workspace members only");
  const clientId = (await page.locator("#client-id").textContent()) ?? "";
  await expect(row.locator(".sso-client-id")).toHaveText(clientId);
  // Once closed, the secret is nowhere on the page, nor after a reload.
  await page.locator("#secret-done").click();
  await expect(page.locator("body")).not.toContainText(secret);
  await page.reload();
  await hydrated(page);
  await expect(page.locator("body")).not.toContainText(secret);

  // Rotate: confirmed first, then a new secret shown once.
  await row.locator('button[data-action="rotate"]').click();
  await expect(page.locator('#sso-confirm[data-action="rotate"]')).toBeVisible();
  await page.locator("#sso-confirm-yes").click();
  await expect(page.locator("#secret-reveal")).toBeVisible();
  const rotated = (await page.locator("#client-secret").textContent()) ?? "";
  expect(rotated).toHaveLength(128);
  expect(rotated).not.toBe(secret);
  await expect(page.locator("#sso-notice")).toContainText("the old secret no longer works");
  await page.locator("#secret-done").click();

  // Delete: confirmed, then gone from the list and from Authentik's discovery.
  const issuer = `/application/o/acme_wiki-${suffix}/.well-known/openid-configuration`;
  await row.locator('button[data-action="delete"]').click();
  await expect(page.locator('#sso-confirm[data-action="delete"]')).toBeVisible();
  await page.locator("#sso-confirm-yes").click();
  await expect(page.locator("#sso-notice")).toContainText("was deleted");
  await expect(row).toHaveCount(0);
  expect((await page.request.get(`${SANDBOX}${issuer}`)).status()).toBe(404);
});
