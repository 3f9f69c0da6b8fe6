// The settings page: API keys (made in the console, the secret shown once and usable on the REST
// API, revoked) and members (an owner adds someone new, whose one-time password is shown once
// and works; roles change; members are removed; a project keeps an owner), new projects; on a
// desktop, on a 360 px phone and without JavaScript.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  return JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], { encoding: "utf8" }),
  );
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
}

/** The card of a project's members. */
function membersCard(page: Page, project: string) {
  return page.locator("section").filter({ has: page.getByRole("heading", { name: `Members of ${project}`, exact: true }) });
}

function memberRow(page: Page, project: string, email: string) {
  return membersCard(page, project).getByTestId("member-row").filter({ hasText: email });
}

/** Adds someone new to the project from its card; returns the one-time password shown. */
async function addNewMember(page: Page, project: string, email: string, role: string): Promise<string> {
  const card = membersCard(page, project);
  await card.getByLabel("Email of the person to add").fill(email);
  await card.getByLabel("Role", { exact: true }).selectOption(role);
  await card.getByRole("button", { name: "Add the member" }).click();
  const shown = page.getByTestId("new-member");
  await expect(shown).toContainText(`${email} can now sign in`);
  await expect(shown).toContainText("no mail server");
  const password = (await page.getByTestId("new-member-password").textContent())!.trim();
  expect(password.length).toBeGreaterThanOrEqual(12);
  expect(page.url()).not.toContain(password);
  return password;
}

/** The new member signs in in a browser of their own and sees the project. */
async function newMemberSeesTheProject(browser: Browser, email: string, password: string, project: string, role: string) {
  const context = await browser.newContext();
  const theirs = await context.newPage();
  await signIn(theirs, email, password);
  await theirs.goto("/settings");
  await expect(membersCard(theirs, project)).toBeVisible();
  await expect(memberRow(theirs, project, email).getByTestId("you")).toBeVisible();
  await expect(memberRow(theirs, project, email).getByTestId("member-role")).toHaveText(role);
  await expect(membersCard(theirs, project).getByRole("button", { name: "Add the member" })).toHaveCount(0);
  await expect(membersCard(theirs, project)).toContainText("Only the project's owners");
  await context.close();
}

test("an API key made in the console works until it is revoked", async ({ page, baseURL }) => {
  const person = cli(["user", "create", "--email", "keys@example.com", "--project", "team-keys"]);
  await signIn(page, person.email, person.password);
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

test("an owner adds a new member, changes their role and removes them; the project keeps an owner", async ({ page, browser }) => {
  test.setTimeout(60_000);
  const project = "team-members";
  const owner = cli(["user", "create", "--email", "owner-members@example.com", "--project", project]);
  cli(["user", "create", "--email", "viewer-members@example.com", "--project", project, "--role", "viewer"]);
  await signIn(page, owner.email, owner.password);
  await page.goto("/settings");
  await expect(memberRow(page, project, owner.email).getByTestId("you")).toHaveText("you");

  // Someone new: an account with a one-time password, shown once, that works.
  const password = await addNewMember(page, project, "newcomer@example.com", "editor");
  await expect(memberRow(page, project, "newcomer@example.com").getByLabel("Role of newcomer@example.com")).toHaveValue("editor");
  await page.screenshot({ path: "screenshots/settings-members-desktop.png", fullPage: true });
  await newMemberSeesTheProject(browser, "newcomer@example.com", password, project, "editor");
  await page.reload();
  await expect(page.getByTestId("new-member")).toHaveCount(0);

  // Twice is refused beside the email, with what was typed kept.
  const card = membersCard(page, project);
  await card.getByLabel("Email of the person to add").fill("newcomer@example.com");
  await card.getByRole("button", { name: "Add the member" }).click();
  await expect(membersCard(page, project).getByTestId("problem-field")).toContainText("already a member");
  await expect(membersCard(page, project).getByLabel("Email of the person to add")).toHaveValue("newcomer@example.com");

  // The role changes.
  const row = memberRow(page, project, "newcomer@example.com");
  await row.getByLabel("Role of newcomer@example.com").selectOption("viewer");
  await row.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByTestId("notice")).toContainText("The role was changed");
  await expect(memberRow(page, project, "newcomer@example.com").getByLabel("Role of newcomer@example.com")).toHaveValue("viewer");

  // The last owner stays an owner.
  const own = memberRow(page, project, owner.email);
  await own.getByLabel(`Role of ${owner.email}`).selectOption("editor");
  await own.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByTestId("problem")).toContainText("keeps at least one owner");
  await expect(memberRow(page, project, owner.email).getByLabel(`Role of ${owner.email}`)).toHaveValue("owner");

  // Removal, after the box is ticked.
  const removed = memberRow(page, project, "newcomer@example.com");
  await removed.getByRole("checkbox").check();
  await removed.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByTestId("notice")).toContainText("removed");
  await expect(memberRow(page, project, "newcomer@example.com")).toHaveCount(0);
  await expect(memberRow(page, project, "viewer-members@example.com")).toHaveCount(1);

  // A new project in the same organization: refused names come back kept; then it is made.
  await page.getByLabel("Project name").fill("bad/name");
  await page.getByRole("button", { name: "Create the project" }).click();
  await expect(page.locator("#new-project-name-problem")).toContainText("letters, digits, spaces");
  await expect(page.getByLabel("Project name")).toHaveValue("bad/name");
  await page.getByLabel("Project name").fill("team-members second");
  await page.getByRole("button", { name: "Create the project" }).click();
  await expect(page.getByTestId("notice")).toContainText("The project was created");
  await expect(memberRow(page, "team-members second", owner.email).getByTestId("you")).toBeVisible();
  await page.goto("/clusters/new");
  await expect(page.locator("#project option", { hasText: "team-members second" })).toHaveCount(1);
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("members become cards that fit the screen, with touch-sized controls", async ({ page }) => {
    const project = "team-members-phone";
    const owner = cli(["user", "create", "--email", "owner-phone@example.com", "--project", project]);
    cli(["user", "create", "--email", "a-rather-long-address.for-a-phone@example.com", "--project", project, "--role", "editor"]);
    await signIn(page, owner.email, owner.password);
    await page.goto("/settings");
    const card = membersCard(page, project);
    await expect(card.getByTestId("member-row")).toHaveCount(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    for (const control of await card.locator("button, select, input:not([type=hidden]):not([type=checkbox])").all()) {
      expect((await control.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    for (const box of await card.getByRole("checkbox").all()) {
      // The checkbox's label is the touch target.
      const label = box.locator("xpath=ancestor::label");
      expect((await label.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await page.screenshot({ path: "screenshots/settings-members-phone-360.png", fullPage: true });
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("an owner adds, changes and removes a member with plain forms", async ({ page, browser }) => {
    const project = "team-members-nojs";
    const owner = cli(["user", "create", "--email", "owner-nojs@example.com", "--project", project]);
    await signIn(page, owner.email, owner.password);
    await page.goto("/settings");

    // A refused email comes back beside its field, kept.
    const card = membersCard(page, project);
    await card.getByLabel("Email of the person to add").fill("someone@nodot");
    await card.getByRole("button", { name: "Add the member" }).click();
    await expect(membersCard(page, project).getByTestId("problem-field")).toContainText("is not an email address");
    await expect(membersCard(page, project).getByLabel("Email of the person to add")).toHaveValue("someone@nodot");

    const password = await addNewMember(page, project, "nojs-member@example.com", "viewer");
    await newMemberSeesTheProject(browser, "nojs-member@example.com", password, project, "viewer");

    const row = memberRow(page, project, "nojs-member@example.com");
    await row.getByLabel("Role of nojs-member@example.com").selectOption("owner");
    await row.getByRole("button", { name: "Change role" }).click();
    await expect(page.getByTestId("notice")).toContainText("The role was changed");

    const removed = memberRow(page, project, "nojs-member@example.com");
    await removed.getByRole("checkbox").check();
    await removed.getByRole("button", { name: "Remove" }).click();
    await expect(page.getByTestId("notice")).toContainText("removed");
    await expect(memberRow(page, project, "nojs-member@example.com")).toHaveCount(0);
  });
});
