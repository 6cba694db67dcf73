import { test, expect } from "@playwright/test";
import { signInAtIdp, hydrated } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

test("an admin edits the billing details: the VAT id is normalised, a wrong one is refused on its field", async ({ page }) => {
  test.skip(!process.env.LOCALSTRIPE_URL, "needs localstripe (scripts/test.sh starts it)");
  await page.goto("/admin/acme/billing");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await expect(page.locator("#billing-coming")).toContainText("not shown yet");
  await page.locator("#billing-company").fill("Acme Hellas");
  await page.locator("#billing-email").fill("billing@acme.example");
  await page.locator("#billing-country").fill("GR");
  await page.locator("#billing-vat").fill("gr 123-456-789");
  await page.locator("#billing-save").click();
  await expect(page.locator("#billing-saved")).toBeVisible();
  await expect(page.locator("#billing-vat")).toHaveValue("EL123456789");
  // Read back from Stripe after a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.locator("#billing-company")).toHaveValue("Acme Hellas");
  await expect(page.locator("#billing-vat")).toHaveValue("EL123456789");
  await page.locator("#billing-vat").fill("EL123");
  await page.locator("#billing-save").click();
  await expect(page.locator("#billing-error")).toHaveAttribute("data-field", "vat_id");
  await expect(page.locator("#billing-error")).toContainText("EL followed by 9 digits");
});
