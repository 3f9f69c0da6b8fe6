// At 360 px the navigation becomes a bottom bar with touch-sized targets, and nothing overflows.
import { expect, test } from "@playwright/test";

test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

test("a 360 px phone shows the bottom navigation bar", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeVisible();

  const viewport = page.viewportSize()!;
  const box = (await nav.boundingBox())!;
  expect(box.width).toBe(viewport.width);
  expect(Math.round(box.y + box.height)).toBe(viewport.height);

  for (const link of await nav.getByRole("link").all()) {
    const target = (await link.boundingBox())!;
    expect(target.height).toBeGreaterThanOrEqual(44);
    expect(target.width).toBeGreaterThanOrEqual(44);
  }
  const toggle = (await page.getByTestId("theme-toggle").boundingBox())!;
  expect(toggle.height).toBeGreaterThanOrEqual(44);

  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(viewport.width);

  // The last card is not hidden behind the bar.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const lastCard = page.locator("main section").last();
  const cardBox = (await lastCard.boundingBox())!;
  const navBox = (await nav.boundingBox())!;
  expect(cardBox.y + cardBox.height).toBeLessThanOrEqual(navBox.y);
  await page.screenshot({ path: "screenshots/overview-phone-360.png", fullPage: false });
});

test("the desktop layout keeps the navigation at the side", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const box = (await page.getByRole("navigation", { name: "Main" }).boundingBox())!;
  expect(box.x).toBe(0);
  expect(box.width).toBeLessThan(300);
  await page.screenshot({ path: "screenshots/overview-desktop-1280.png", fullPage: false });
});
