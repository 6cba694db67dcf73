import { test, expect, Page } from "@playwright/test";
import { signInAtIdp, hydrated, primaryDomain } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

async function confirm(page: Page, row: ReturnType<Page["locator"]>, action: string) {
  await row.locator(`button[data-action="${action}"]`).click();
  await expect(page.locator(`#confirm[data-action="${action}"]`)).toBeVisible();
  await page.locator("#confirm-yes").click();
  await expect(page.locator("#confirm")).toHaveCount(0);
}

test("an admin creates a member who signs in, is suspended and signed out, resumed, then removed", async ({ page, browser, request, context }) => {
  const domain = `team-${Date.now().toString(36)}.example`;
  await page.goto("/admin/acme/members");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await primaryDomain(page, request, domain);
  await page.reload();
  await hydrated(page);
  await expect(page.locator("#tab-groups")).toBeVisible();

  // Create: each step's progress, then the one-time password, shown once, with a copy button.
  await page.locator("#add-member").click();
  await page.locator("#member-first-name").fill("Jane");
  await page.locator("#member-last-name").fill("Roe");
  await page.locator("#member-local-part").fill("Jane.Roe");
  await page.locator("#member-role").selectOption("member");
  await page.locator("#create-member-submit").click();
  await expect(page.locator('#member-progress li[data-upstream="authentik"][data-state="ok"]')).toBeVisible();
  await expect(page.locator('#member-progress li[data-upstream="stalwart"][data-state="ok"]')).toBeVisible();
  await expect(page.locator('#member-progress li[data-upstream="ocis"][data-state="ok"]')).toBeVisible();
  const otp = (await page.locator("#otp-value").textContent())!.trim();
  expect(otp).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.locator("#otp-copy").click();
  await expect(page.locator("#otp-copy")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(otp);
  // The sign-in instructions (never the password) to her own address, through SMTP (the
  // sandbox's sink keeps it).
  await page.locator("#welcome-to").fill("jane.roe@home.example");
  await page.locator("#welcome-send").click();
  await expect(page.locator("#welcome-result")).toContainText("Sent");
  await expect(page.locator("#welcome-result")).toContainText("to jane.roe@home.example");
  await page.locator("#otp-done").click();
  await expect(page.locator("#otp-reveal")).toHaveCount(0);
  const address = `jane.roe@${domain}`;
  const row = page.locator(`#members tr[data-address="${address}"]`);
  await expect(row).toHaveAttribute("data-status", "active");
  await expect(row.locator(".member-role")).toHaveText("member");
  // Search narrows the table.
  await page.locator("#member-search").fill("jane.roe");
  await expect(page.locator(`#members tr[data-address="${OWNER.username}"]`)).toBeHidden();
  await expect(row).toBeVisible();

  // Jane signs in with it in her own browser.
  const janeContext = await browser.newContext();
  const jane = await janeContext.newPage();
  await jane.goto("/");
  await signInAtIdp(jane, { username: address, password: otp });
  await expect(jane.locator("#welcome")).toHaveText("Welcome, Jane Roe");
  // Her profile carries her role in the workspace.
  await jane.goto("/profile");
  await expect(jane.locator('#profile-tenants li[data-tenant="acme"]')).toHaveAttribute("data-role", "member");

  // Suspended: her console session ends and the IdP refuses her.
  await confirm(page, row, "suspend");
  await expect(row).toHaveAttribute("data-status", "suspended");
  await expect(row.locator(".member-suspended")).toContainText(OWNER.username);
  await jane.goto("/");
  await signInAtIdp(jane, { username: address, password: otp });
  await expect(jane.getByText("Failed to authenticate.")).toBeVisible();

  // Resumed: the same password works again.
  await confirm(page, row, "resume");
  await expect(row).toHaveAttribute("data-status", "active");
  await jane.goto("/");
  await signInAtIdp(jane, { username: address, password: otp });
  await expect(jane.locator("#welcome")).toHaveText("Welcome, Jane Roe");

  // Removed: the confirmation names what goes, and she is signed out.
  await row.locator('button[data-action="remove"]').click();
  await expect(page.locator('#removal-plan li[data-system="Authentik"]')).toHaveAttribute("data-action", "delete");
  await expect(page.locator('#removal-plan li[data-system="Stalwart"]')).toContainText(address);
  await expect(page.locator('#removal-plan li[data-system="OCIS"]')).toContainText("personal drive");
  await page.locator("#confirm-yes").click();
  await expect(page.locator("#member-notice")).toContainText(`${address} was removed.`);
  await expect(page.locator(`#members tr[data-address="${address}"]`)).toHaveCount(0);
  await jane.goto("/");
  await signInAtIdp(jane, { username: address, password: otp });
  await expect(jane.getByText("Failed to authenticate.")).toBeVisible();
  await janeContext.close();
});

test("Groups, Invitations and Service accounts say honestly that they are coming", async ({ page }) => {
  await page.goto("/admin/acme/members");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  for (const tab of ["groups", "invitations", "service_accounts"]) {
    await page.locator(`#tab-${tab}`).click();
    await expect(page.locator("#coming")).toContainText("coming");
    await expect(page.locator("#members")).toBeHidden();
  }
  await page.locator("#tab-members").click();
  await expect(page.locator("#members")).toBeVisible();
  // The owner's own row has no suspend, sign-out or remove.
  const own = page.locator(`#members tr[data-address="${OWNER.username}"]`);
  await expect(own).toContainText("(you)");
  await expect(own.locator('button[data-action="suspend"]')).toHaveCount(0);
  await expect(own.locator('button[data-action="remove"]')).toHaveCount(0);
});
