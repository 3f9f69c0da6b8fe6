// axe-core on every console page, in the light and the dark theme: no violations of WCAG 2.1
// A/AA rules. A signed-in owner with a ready cluster, so every tab has content.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  return JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], { encoding: "utf8" }),
  );
}

async function violations(page: Page, path: string): Promise<string[]> {
  await page.goto(path);
  return violationsHere(page, path);
}

/** The page as it is now (after a form came back, say), named `path` in the report. */
async function violationsHere(page: Page, path: string): Promise<string[]> {
  await expect(page.locator("main")).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.map(
    (v) => `${path}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`,
  );
}

for (const theme of ["light", "dark"]) {
  test(`every page passes axe-core in the ${theme} theme`, async ({ page, context, baseURL }) => {
    test.setTimeout(180_000);
    const url = new URL(baseURL!);
    await context.addCookies([{ name: "wh_theme", value: theme, domain: url.hostname, path: "/" }]);
    const found: string[] = [];
    for (const path of ["/", "/login"]) {
      found.push(...(await violations(page, path)));
    }

    const project = `team-axe-${theme}`;
    // One of the provider's operators (owning a project too), so the provider's pages are swept.
    const person = cli(["user", "create", "--email", `${project}@example.com`, "--project", project, "--operator"]);
    const key = cli(["api-key", "create", "--project", project]);
    const created = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
      method: "POST",
      headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
      body: JSON.stringify({
        name: `axe-${theme}`, version: "1.34.2", cni: "cilium",
        pools: [{ name: "workers", node_type: "PRO2-XS", size: 1 }],
      }),
    });
    const cluster = await created.json();
    await expect(async () => {
      const nodes = await (await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}/nodes`, {
        headers: { "X-Auth-Token": key.secret_key },
      })).json();
      expect(nodes.nodes.filter((n: any) => n.status === "ready")).toHaveLength(1);
    }).toPass({ timeout: 30_000 });
    await page.goto("/login");
    await page.getByLabel("Email").fill(person.email);
    await page.getByLabel("Password").fill(person.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/clusters$/);
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);

    const base = `/clusters/fr-par/${cluster.id}`;
    for (const path of [
      "/clusters", "/clusters/new", "/settings", "/provider/system",
      base, `${base}/pools`, `${base}/nodes`, `${base}/storage`, `${base}/upgrade`,
      `${base}/upgrade?version=1.35.1`, `${base}/upgrade?rollback=cluster`, `${base}/maintenance`,
      `${base}/events`, `${base}/access`, `${base}/audit`, `${base}/settings`,
      "/audit", "/audit?since=yesterday",
    ]) {
      found.push(...(await violations(page, path)));
    }

    // An audit entry with its proof.
    await page.goto("/audit?action=cluster.create");
    await page.getByTestId("sign-checkpoint").click();
    await page.getByTestId("audit-row").first().getByRole("link").click();
    await expect(page.getByTestId("proof")).toContainText("Verified against checkpoint");
    found.push(...(await violationsHere(page, "an audit entry")));

    // Two pools, the second refused beside its name (a refusal is sealed for the session that
    // made it, so it is made here rather than typed into the address).
    await page.goto(
      `/clusters/new?name=a11y-${theme}&pools=2&pool1_name=default&pool1_node_type=pro2_xs&pool1_size=3&pool1_autohealing=yes` +
        "&pool2_name=default&pool2_node_type=pro2_s&pool2_size=1&pool2_autoscaling=yes&pool2_min_size=1&pool2_max_size=3",
    );
    await page.getByRole("button", { name: "Create the cluster" }).click();
    await expect(page.locator("#pool2_name-problem")).toBeVisible();
    found.push(...(await violationsHere(page, "/clusters/new (pool 2 refused)")));

    // Settings with a member just added (their one-time password shown), then a refused email.
    await page.goto("/settings");
    const members = () =>
      page.locator("section").filter({ has: page.getByRole("heading", { name: `Members of ${project}`, exact: true }) });
    await members().getByLabel("Email of the person to add").fill(`member-${theme}@example.com`);
    await members().getByRole("button", { name: "Add the member" }).click();
    await expect(page.getByTestId("new-member")).toBeVisible();
    found.push(...(await violationsHere(page, "/settings (a new member's password shown)")));
    await members().getByLabel("Email of the person to add").fill("someone@nodot");
    await members().getByRole("button", { name: "Add the member" }).click();
    await expect(members().getByTestId("problem-field")).toBeVisible();
    found.push(...(await violationsHere(page, "/settings (an email refused)")));
    expect(found).toEqual([]);
  });
}
