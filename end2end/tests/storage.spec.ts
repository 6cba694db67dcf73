import { test, expect } from "@playwright/test";
import { signInAtIdp, hydrated, primaryDomain } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

test("an admin sees mail and files per member and sets a mail quota; a wrong size is refused on its field", async ({ page, request }) => {
  const domain = `store-${Date.now().toString(36)}.example`;
  await page.goto("/admin/acme/storage");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await primaryDomain(page, request, domain);
  const created = await page.request.post("/api/tenants/acme/members", {
    data: { first_name: "Sto", last_name: "Rage", local_part: "sto", role: "member" },
  });
  expect(created.status()).toBe(201);
  const memberId = (await created.json()).member.id;
  await page.reload();
  await hydrated(page);

  const row = page.locator(`.storage-row[data-address="sto@${domain}"]`);
  await expect(row.locator(".mail .usage-text")).toHaveText("0 B of Unlimited");
  // OCIS makes the drive at the first sign-in: not yet.
  await expect(row.locator(".files")).toContainText("first sign-in");

  await row.locator('input[name="mail_quota"]').fill("lots");
  await row.getByRole("button", { name: "Set" }).click();
  await expect(row.locator(".quota-error")).toHaveAttribute("data-field", "mail_quota");
  await expect(row.locator(".quota-error")).toContainText("not a size");

  await row.locator('input[name="mail_quota"]').fill("2 GiB");
  await row.getByRole("button", { name: "Set" }).click();
  await expect(row.locator(".mail .usage-text")).toHaveText("0 B of 2.0 GiB");
  await expect(row.locator(".mail meter")).toHaveAttribute("value", "0");
  await expect(row.locator(".quota-error")).toBeHidden();
  // Stalwart has it: still there after a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.locator(`.storage-row[data-address="sto@${domain}"] .mail .usage-text`)).toHaveText("0 B of 2.0 GiB");
  await expect(page.locator("#storage-mail-total")).not.toHaveText("Unavailable");

  // Leave acme's member count as the later journeys expect it.
  expect((await page.request.delete(`/api/tenants/acme/members/${memberId}`)).status()).toBe(204);
});
