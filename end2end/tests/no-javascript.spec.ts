// With JavaScript disabled every page still renders completely, and the theme form still works
// (it posts to the server, which sets the cookie).
import { expect, test } from "@playwright/test";

test.use({ javaScriptEnabled: false });

test("without JavaScript the page renders in full", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(page.getByTestId("service-status")).toContainText("Operational");

  await page.goto("/system");
  await expect(page.getByTestId("system-facts")).toContainText("SQLite");
});

test("without JavaScript the theme toggle posts a form and comes back", async ({ page }) => {
  await page.goto("/system");
  await page.getByTestId("theme-toggle").click();
  await expect(page).toHaveURL(/\/system$/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
});
