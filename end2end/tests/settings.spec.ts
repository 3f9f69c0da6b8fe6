// API keys from the console: made, the secret shown once and usable on the REST API, revoked.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";

test("an API key made in the console works until it is revoked", async ({ page, baseURL }) => {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const person = JSON.parse(execFileSync(process.env.WHEELHOUSE_BIN!,
    ["user", "create", "--email", "keys@example.com", "--project", "team-keys", "--database-url", databaseUrl],
    { encoding: "utf8" }));
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings$/);

  await page.getByLabel("Description of a new key").fill("from the console");
  await page.getByRole("button", { name: "Create an API key" }).click();
  const secret = (await page.getByTestId("new-secret-key").textContent())!.trim();
  expect(secret).toMatch(/^[0-9a-f-]{36}$/);
  const listed = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, { headers: { "X-Auth-Token": secret } });
  expect(listed.status).toBe(200);
  await page.reload();
  await expect(page.getByTestId("new-key")).toHaveCount(0);

  const row = page.getByTestId("api-keys").locator("li").filter({ hasText: "from the console" });
  await row.getByRole("checkbox").check();
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("notice")).toContainText("revoked");
  const refused = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, { headers: { "X-Auth-Token": secret } });
  expect(refused.status).toBe(401);
});
