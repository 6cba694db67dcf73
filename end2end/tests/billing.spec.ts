import { test, expect } from "@playwright/test";
import { signInAtIdp, hydrated } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

test.describe("billing on localstripe", () => {
  test.skip(!process.env.LOCALSTRIPE_URL, "needs localstripe (scripts/test.sh starts it)");

  test("an admin edits the billing details: the VAT id is normalised, a wrong one is refused on its field", async ({ page }) => {
    await page.goto("/admin/acme/billing");
    await signInAtIdp(page, OWNER);
    await hydrated(page);
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

  test("the seeded subscription and its paid invoice show; a declined card keeps the dialog open, 4242 becomes the default", async ({ page }) => {
    await page.goto("/admin/acme/billing");
    await signInAtIdp(page, OWNER);
    await hydrated(page);
    // The harness sends x-sandbox-token with every request (playwright.config.ts); Stripe.js's
    // own calls must go out as a browser sends them, or localstripe's CORS preflight fails.
    await page.route(`${process.env.LOCALSTRIPE_URL}/v1/**`, async (route) => {
      const headers = { ...route.request().headers() };
      delete headers["x-sandbox-token"];
      await route.continue({ headers });
    });
    // The sandbox seeded the demo plan with the seeded members' seats (at least 3).
    await expect(page.locator("#billing-plan")).toHaveText("Team (monthly)");
    await expect(page.locator("#billing-state")).toHaveText("Active");
    await expect(page.locator("#billing-seats")).toContainText("3 used of 3 paid");
    await expect(page.locator("#billing-monthly")).toHaveText("€24,00");
    await expect(page.locator("#invoices .invoice").first().locator(".invoice-status")).toHaveText("paid");
    await expect(page.locator("#invoices .invoice").first().locator(".invoice-amount")).toHaveText("€24,00");

    // localstripe's fake Stripe.js renders its inputs in the page (no iframe).
    await page.locator("#change-card").click();
    const dialog = page.locator("#card-dialog");
    await expect(dialog).toBeVisible();
    const fill = async (number: string) => {
      await dialog.locator('input[placeholder="number"]').fill(number);
      await dialog.locator('input[placeholder="exp_month"]').fill("12");
      await dialog.locator('input[placeholder="exp_year"]').fill("34");
      await dialog.locator('input[placeholder="cvc"]').fill("123");
      await page.locator("#card-save").click();
    };
    await fill("4000000000000002");
    await expect(page.locator("#card-error")).toContainText("declined");
    await expect(dialog).toBeVisible();

    await fill("4242424242424242");
    await expect(dialog).toBeHidden();
    await expect(page.locator("#billing-card")).toContainText("Visa •••• 4242");
    await expect(page.locator("#billing-card")).toContainText("12/2034");
    // Stripe has it as the default: still there after a reload.
    await page.reload();
    await hydrated(page);
    await expect(page.locator("#billing-card")).toContainText("Visa •••• 4242 (expires 12/2034)");
    // The dashboard shows the same subscription.
    await page.goto("/admin/acme");
    await hydrated(page);
    await expect(page.locator("#billing-summary-text")).toHaveText("Team (monthly) · Active");
    await expect(page.locator("#billing-summary")).toContainText("3 used of 3 paid seats · €24,00 a month");
  });
});
