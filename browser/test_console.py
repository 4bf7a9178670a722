"""The web console in a real browser (Debian's Chromium, driven by Playwright): the flows a person
goes through, CSRF refusals, and axe-core on every page (no serious or critical violation).

Locators are accessible ones (get_by_label, get_by_role, …): a test that finds a field by its
label also checks that the field has that label.
"""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from conftest import AXE, INVITED_EMAIL, KEY, SEARCH_PROJECT, new_page, sign_in


# Messages Chromium logs for answers the tests ask for on purpose (400, 401, 403 and 404 pages).
EXPECTED_CONSOLE_NOISE = re.compile(r"Failed to load resource: the server responded with a status of (400|401|403|404)")


def url(path):
    """A locator-friendly pattern for a page's URL: `path` with nothing after it but a query."""
    return re.compile(re.escape(path) + r"(\?.*)?$")


def goto_page(page: Page, path):
    """Goes to a console page, which must answer 200."""
    answer = page.goto(path)
    assert answer.status == 200, (path, answer.status)
    return answer


def flash(page: Page):
    """The flash message of news (role=status): the first status of the page's main region."""
    return page.get_by_role("main").get_by_role("status").first


def alert(page: Page):
    return page.get_by_role("main").get_by_role("alert").first


@pytest.fixture(autouse=True)
def no_script_errors(request):
    """Fails a test whose pages logged a script error or a CSP refusal (the console's own
    script and stylesheet must work under its Content-Security-Policy)."""
    errors = []
    request.node.console_errors = errors
    yield
    if errors:
        pytest.fail("the pages logged errors:\n" + "\n".join(errors))


def watch(page: Page, request):
    errors = request.node.console_errors

    def on_console(message):
        if message.type == "error" and not EXPECTED_CONSOLE_NOISE.search(message.text):
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return page


@pytest.fixture
def console(signed_in, request):
    """A page signed in with KEY, on a fresh seeded server, whose script errors fail the test."""
    return watch(signed_in, request)


# ----- Signing in and out -----


def test_sign_in_with_the_key(page, server, request):
    watch(page, request)
    page.goto("/console/")
    expect(page).to_have_url(url("/console/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the console")
    key_field = page.get_by_label("Admin API key")
    expect(key_field).to_have_attribute("type", "password")
    expect(key_field).to_have_attribute("autocomplete", "off")
    key_field.fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url("/console/people"))
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Signed in with")
    expect(header).to_contain_text(server.key_id())
    # The key itself is in no page and no URL.
    assert KEY not in page.content() and KEY not in page.url
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["orgusers_console"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/console"
    # Signed in, the sign-in page sends on to the console.
    page.goto("/console/sign-in")
    expect(page).to_have_url(url("/console/people"))


def test_a_bad_key_shows_an_error_and_makes_no_session(page, request):
    watch(page, request)
    page.goto("/console/sign-in")
    page.get_by_label("Admin API key").fill("sk-admin-not-a-key-of-this-org-0000000000000")
    with page.expect_response(lambda r: r.url.endswith("/console/sign-in") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(alert(page)).to_have_text("That key is not valid.")
    expect(page).to_have_url(url("/console/sign-in"))
    # The form comes back empty: the refused key is not echoed.
    expect(page.get_by_label("Admin API key")).to_have_value("")
    assert "sk-admin-not-a-key" not in page.content()
    assert not [c for c in page.context.cookies() if c["name"] == "orgusers_console"]
    page.goto("/console/people")
    expect(page).to_have_url(url("/console/sign-in"))


def test_sign_out_ends_the_session(console: Page):
    page = console
    old = [c for c in page.context.cookies() if c["name"] == "orgusers_console"]
    assert old
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(url("/console/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the console")
    assert not [c for c in page.context.cookies() if c["name"] == "orgusers_console"]
    for path in ["/console/people", "/console/people/user-alan-turing", "/console/invites",
                 "/console/projects", f"/console/projects/{SEARCH_PROJECT}", "/console/admin-keys", "/console/"]:
        page.goto(path)
        expect(page).to_have_url(url("/console/sign-in"))
    # The old session cookie, replayed, opens nothing: the session is gone on the server.
    page.context.add_cookies(old)
    page.goto("/console/people")
    expect(page).to_have_url(url("/console/sign-in"))


# ----- People -----


def search(page: Page, text="", role="Any role"):
    page.goto("/console/people")
    page.get_by_label("Search by name or email").fill(text)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("search").get_by_role("button", name="Search").click()


def users_table(page: Page):
    return page.get_by_role("table", name="Users of the organization")


def test_find_a_user_by_email(console: Page):
    page = console
    search(page, "alan@example.com")
    expect(page).to_have_url(re.compile(r"/console/people\?q=alan%40example\.com"))
    rows = users_table(page).get_by_role("row")
    expect(rows).to_have_count(2)  # the header and Alan
    expect(rows.nth(1)).to_contain_text("alan@example.com")
    expect(rows.nth(1)).to_contain_text("reader")
    # By name or email, any case, non-ASCII.
    search(page, "LOVELACE")
    expect(users_table(page).get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(users_table(page).get_by_role("row")).to_have_count(2)
    search(page, "zoë")
    expect(users_table(page).get_by_role("link", name="Zoë Ødegaard")).to_be_visible()
    expect(users_table(page).get_by_role("row")).to_have_count(2)
    search(page, "EXÄMPLE.DE")
    expect(users_table(page).get_by_role("link", name="Zoë Ødegaard")).to_be_visible()
    # The role filter.
    search(page, "", role="Owner")
    owners = users_table(page)
    expect(owners.get_by_role("row")).to_have_count(3)
    expect(owners.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(owners.get_by_role("link", name="Grace Hopper")).to_be_visible()
    # Nothing found says so.
    search(page, "nobody-by-this-name")
    expect(page.get_by_role("main").get_by_text("No users match this search.")).to_be_visible()
    # From the list to the person.
    search(page, "alan@")
    users_table(page).get_by_role("link", name="Alan Turing").click()
    expect(page).to_have_url(url("/console/people/user-alan-turing"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alan Turing")
    expect(page.get_by_role("table").filter(has_text="Project role").get_by_role("cell", name="Search", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Platform team")


def test_search_folds_the_case_of_non_ascii_letters(console: Page):
    page = console
    for text in ["Ødegaard", "ødegaard", "ØDEGAARD"]:
        search(page, text)
        expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
        # The page is server-rendered: once it is there, the result is (no need to wait long).
        expect(users_table(page).get_by_role("link", name="Zoë Ødegaard")).to_be_visible(timeout=1000)


def change_role(page: Page, user_id, role):
    page.goto(f"/console/people/{user_id}")
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Change role").click()


def test_change_a_role(console: Page, server):
    page = console
    change_role(page, "user-alan-turing", "owner")
    expect(page).to_have_url(url("/console/people/user-alan-turing"))
    expect(flash(page)).to_have_text("Alan Turing is now owner.")
    expect(page.get_by_label("Role", exact=True)).to_have_value("owner")
    assert server.user("user-alan-turing")["role"] == "owner"
    # The flash message is shown once.
    page.reload()
    expect(flash(page)).to_have_count(0)
    change_role(page, "user-alan-turing", "reader")
    expect(flash(page)).to_have_text("Alan Turing is now reader.")
    assert server.user("user-alan-turing")["role"] == "reader"


def test_the_last_owner_cannot_be_demoted_or_removed(console: Page, server):
    page = console
    change_role(page, "user-grace-hopper", "reader")
    expect(flash(page)).to_have_text("Grace Hopper is now reader.")
    # Ada is now the only owner.
    change_role(page, "user-ada-lovelace", "reader")
    expect(alert(page)).to_have_text("An organization must keep at least one owner.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    assert server.user("user-ada-lovelace")["role"] == "owner"
    page.goto("/console/people/user-ada-lovelace")
    page.get_by_role("link", name="Remove from organization").click()
    expect(page).to_have_url(url("/console/people/user-ada-lovelace/remove"))
    page.get_by_role("button", name="Remove user").click()
    expect(alert(page)).to_have_text("An organization must keep at least one owner.")
    assert server.user("user-ada-lovelace")["role"] == "owner"


def test_remove_a_user_after_confirmation(console: Page, server):
    page = console
    page.goto("/console/people/user-priya-iyer")
    page.get_by_role("link", name="Remove from organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Priya Iyer?")
    page.get_by_role("button", name="Remove user").click()
    expect(page).to_have_url(url("/console/people"))
    expect(flash(page)).to_have_text("Removed Priya Iyer from the organization.")
    assert server.api("GET", "/v1/organization/users/user-priya-iyer")[0] == 404


# ----- Invites -----


def test_invite_and_accept(console: Page, server):
    page = console
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invites").click()
    expect(page).to_have_url(url("/console/invites"))
    invites = page.get_by_role("table", name="Invites to the organization")
    expect(invites.get_by_role("row").filter(has_text=INVITED_EMAIL)).to_contain_text("pending")

    email = "barbara.liskov@example.com"
    form = page.get_by_role("region", name="Invite someone")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Organization role").select_option(label="Reader")
    form.get_by_label("Search", exact=True).select_option(label="Member")
    form.get_by_role("button", name="Send invite").click()
    expect(flash(page)).to_have_text(f"Invited {email} as reader.")
    row = invites.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text(f"{SEARCH_PROJECT} (member)")

    # Accepting (an emulator control: the form is there because serve has its control endpoints).
    row.get_by_label("Name (optional)").fill("Barbara Liskov")
    row.get_by_role("button", name=f"Accept the invite of {email}").click()
    expect(page).to_have_url(re.compile(r"/console/people/user-[^/]+$"))
    expect(flash(page)).to_contain_text(f"Accepted the invite of {email}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Barbara Liskov")
    expect(page.get_by_role("main").get_by_role("cell", name="Search", exact=True)).to_be_visible()
    user_id = page.url.rsplit("/", 1)[1]
    accepted = server.user(user_id)
    assert (accepted["email"], accepted["name"], accepted["role"]) == (email, "Barbara Liskov", "reader")

    page.goto("/console/invites")
    expect(invites.get_by_role("row").filter(has_text=email)).to_contain_text("accepted")
    search(page, "liskov")
    expect(users_table(page).get_by_role("link", name="Barbara Liskov")).to_be_visible()


def test_a_bad_invite_keeps_what_was_typed(console: Page, server):
    page = console
    page.goto("/console/invites")
    form = page.get_by_role("region", name="Invite someone")
    # The browser's own check of type=email is bypassed, to see the server's answer.
    form.get_by_label("Email").evaluate("e => e.type = 'text'")
    form.get_by_label("Email").fill("not an email")
    form.get_by_role("button", name="Send invite").click()
    expect(alert(page)).to_contain_text("email")
    expect(page.get_by_role("region", name="Invite someone").get_by_label("Email")).to_have_value("not an email")
    assert len(server.ok("GET", "/v1/organization/invites")["data"]) == 1


def test_delete_an_invite(console: Page, server):
    page = console
    page.goto("/console/invites")
    page.get_by_role("link", name=f"Delete the invite of {INVITED_EMAIL}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete the invite of {INVITED_EMAIL}?")
    page.get_by_role("button", name="Delete invite").click()
    expect(flash(page)).to_have_text(f"Deleted the invite of {INVITED_EMAIL}.")
    assert server.ok("GET", "/v1/organization/invites")["data"] == []


# ----- Projects -----


def test_create_a_project_and_add_a_member(console: Page, server):
    page = console
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    expect(page).to_have_url(url("/console/projects"))
    form = page.get_by_role("region", name="Create a project")
    form.get_by_label("Name").fill("Billing")
    form.get_by_role("button", name="Create project").click()
    expect(flash(page)).to_have_text("Created the project Billing.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Billing")
    project_id = page.url.rsplit("/", 1)[1]
    assert server.ok("GET", f"/v1/organization/projects/{project_id}")["name"] == "Billing"

    page.get_by_role("navigation", name="Project").get_by_role("link", name="Members").click()
    expect(page).to_have_url(url(f"/console/projects/{project_id}/members"))
    page.get_by_label("Email or user id").fill("ken@example.com")
    page.get_by_label("Project role", exact=True).select_option(label="Owner")
    page.get_by_role("button", name="Add member").click()
    expect(flash(page)).to_have_text("Added Ken Thompson to the project as owner.")
    members = page.get_by_role("table", name="Direct members of the project")
    expect(members.get_by_role("link", name="Ken Thompson", exact=True)).to_be_visible()
    expect(page.get_by_label("Project role of Ken Thompson")).to_have_value("owner")
    answer = server.ok("GET", f"/v1/organization/projects/{project_id}/users/user-ken-thompson")
    assert answer["role"] == "owner"

    page.get_by_label("Project role of Ken Thompson").select_option(label="Member")
    page.get_by_role("button", name=re.compile(r"^Change (the )?role of Ken Thompson$")).click()
    expect(flash(page)).to_have_text("Ken Thompson is now member of the project.")
    assert server.ok("GET", f"/v1/organization/projects/{project_id}/users/user-ken-thompson")["role"] == "member"

    # An unknown user is refused on the page.
    page.get_by_label("Email or user id").fill("nobody@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(alert(page)).to_be_visible()


# ----- The audit log -----


def console_changes(page: Page):
    """A role change and a new project, made in the console."""
    change_role(page, "user-alan-turing", "owner")
    expect(flash(page)).to_have_text("Alan Turing is now owner.")
    page.goto("/console/projects")
    page.get_by_role("region", name="Create a project").get_by_label("Name").fill("Billing")
    page.get_by_role("button", name="Create project").click()
    expect(flash(page)).to_have_text("Created the project Billing.")


def test_console_changes_are_audited_with_the_acting_key(console: Page, server):
    """Through the API's audit log (the console's own page is tested below)."""
    page = console
    console_changes(page)
    key_id = server.key_id()
    entries = server.ok("GET", "/v1/organization/audit_logs?limit=100")["data"]
    seen = {(e["type"], (e.get("actor") or {}).get("api_key", {}).get("id")) for e in entries}
    assert ("user.updated", key_id) in seen, json.dumps(entries, indent=1)
    assert ("project.created", key_id) in seen, json.dumps(entries, indent=1)


def test_audit_log_page_shows_what_the_console_did(console: Page, server):
    page = console
    console_changes(page)
    key_id = server.key_id()
    goto_page(page, "/console/audit-log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    entries = page.get_by_role("table", name="Audit log entries, newest first")
    updated = entries.get_by_role("row").filter(has_text="user.updated")
    expect(updated).to_have_count(1)
    expect(updated).to_contain_text(key_id)
    expect(updated).to_contain_text("user-alan-turing")
    created = entries.get_by_role("row").filter(has_text="project.created")
    expect(created).to_have_count(1)
    expect(created).to_contain_text(key_id)
    # The newest first: the project came after the role change.
    rows = entries.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("project.created")
    # Filtered by the acting key, both stay; by another key, none.
    filters = page.get_by_role("search", name="Filter the audit log")
    filters.get_by_label("Actor (admin key id)").fill(key_id)
    filters.get_by_role("button", name="Filter").click()
    expect(entries.get_by_role("row").filter(has_text="user.updated")).to_have_count(1)
    filters.get_by_label("Actor (admin key id)").fill("key_nobody000000000000000")
    filters.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("main").get_by_text("No entries match these filters.")).to_be_visible()


# ----- Roles, groups and the emulator -----


def test_roles_page_lists_the_custom_role(console: Page):
    page = console
    goto_page(page, "/console/roles")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Roles")
    expect(page.get_by_role("main")).to_contain_text("Support agent")


def test_groups_page_lists_the_group(console: Page):
    page = console
    goto_page(page, "/console/groups")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Groups")
    expect(page.get_by_role("main")).to_contain_text("Platform team")


def test_emulator_page_is_there_with_control_endpoints(console: Page):
    """Served because the server runs with its control endpoints."""
    page = console
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Emulator")).to_be_visible()
    goto_page(page, "/console/emulator")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Emulator")


# ----- CSRF -----


def role_form(page: Page):
    return page.locator('form[action$="/role"]')


def test_forged_form_posts_are_refused(console: Page, server):
    page = console
    target = "/console/people/user-alan-turing/role"

    # A form of the page whose token was tampered with, sent by the browser.
    page.goto("/console/people/user-alan-turing")
    role_form(page).locator('input[name="csrf"]').evaluate("e => e.value = 'forged-token'")
    page.get_by_label("Role", exact=True).select_option("owner")
    with page.expect_response(lambda r: r.url.endswith(target)) as answer:
        page.get_by_role("button", name="Change role").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
    expect(page.get_by_role("main")).to_contain_text("Nothing was changed")
    assert server.user("user-alan-turing")["role"] == "reader"

    # The same form without its token.
    page.goto("/console/people/user-alan-turing")
    role_form(page).locator('input[name="csrf"]').evaluate("e => e.remove()")
    page.get_by_label("Role", exact=True).select_option("owner")
    with page.expect_response(lambda r: r.url.endswith(target)) as answer:
        page.get_by_role("button", name="Change role").click()
    assert answer.value.status == 403
    assert server.user("user-alan-turing")["role"] == "reader"

    # Posts with the session cookie, without a page: missing, empty and wrong tokens.
    requests = page.context.request
    for fields in [{"role": "owner"}, {"role": "owner", "csrf": ""}, {"role": "owner", "csrf": "x" * 43}]:
        answer = requests.post(target, form=fields, max_redirects=0)
        assert answer.status == 403, (fields, answer.status)
    assert requests.post("/console/sign-out", form={}, max_redirects=0).status == 403
    assert requests.post("/console/people/user-alan-turing/remove", form={}, max_redirects=0).status == 403
    assert requests.post("/console/projects", form={"name": "Forged"}, max_redirects=0).status == 403
    assert requests.post("/console/invites", form={"email": "forged@example.com", "role": "owner"},
                         max_redirects=0).status == 403

    # The right token from another origin.
    page.goto("/console/people/user-alan-turing")
    token = role_form(page).locator('input[name="csrf"]').get_attribute("value")
    answer = requests.post(target, form={"role": "owner", "csrf": token}, max_redirects=0,
                           headers={"Origin": "http://evil.example"})
    assert answer.status == 403

    # Nothing changed, and the session still works.
    assert server.user("user-alan-turing")["role"] == "reader"
    assert server.user("user-priya-iyer")["role"] == "reader"
    projects = server.ok("GET", "/v1/organization/projects?limit=100")["data"]
    assert "Forged" not in [p["name"] for p in projects]
    assert len(server.ok("GET", "/v1/organization/invites")["data"]) == 1
    page.goto("/console/people")
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()

    # The control: the right token from this origin is accepted, so the refusals above were the
    # token's doing.
    answer = requests.post(target, form={"role": "owner", "csrf": token}, max_redirects=0)
    assert answer.status == 303
    assert server.user("user-alan-turing")["role"] == "owner"


# ----- Accessibility: axe-core on every page -----


def axe_serious(page: Page):
    """axe-core's serious and critical violations on the page, as readable lines."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for v in result["violations"]:
        if v["impact"] not in ("serious", "critical"):
            continue
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            lines.append(f"      {summary}")
    return lines


@pytest.fixture(scope="module")
def axe_page(browser, shared_server):
    """One signed-in page for the module's read-only pages (a sign-in each would run into the
    sign-in rate limit). CSP is bypassed here only, so that axe's script can be injected."""
    page = new_page(browser, shared_server.url, bypass_csp=True)
    sign_in(page)
    expect(page).to_have_url(url("/console/people"))
    yield page
    page.context.close()


def invite_id(server):
    return server.ok("GET", "/v1/organization/invites")["data"][0]["id"]


# Every read-only page: name, path (a function of the server for ids known only at run time).
AXE_PAGES = [
    ("people", "/console/people"),
    ("people-search", "/console/people?q=example.com&role=reader"),
    ("people-none-found", "/console/people?q=nobody-at-all"),
    ("person", "/console/people/user-alan-turing"),
    ("person-non-ascii", "/console/people/user-zoe-odegaard"),
    ("person-remove", "/console/people/user-alan-turing/remove"),
    ("admin-keys", "/console/admin-keys"),
    ("admin-key-delete", lambda s: f"/console/admin-keys/{s.key_id()}/delete"),
    ("invites", "/console/invites"),
    ("invite-delete", lambda s: f"/console/invites/{invite_id(s)}/delete"),
    ("projects", "/console/projects"),
    ("projects-archived", "/console/projects?archived=true"),
    ("project", f"/console/projects/{SEARCH_PROJECT}"),
    ("project-members", f"/console/projects/{SEARCH_PROJECT}/members"),
    ("project-service-accounts", f"/console/projects/{SEARCH_PROJECT}/service-accounts"),
    ("project-api-keys", f"/console/projects/{SEARCH_PROJECT}/api-keys"),
    ("project-groups", f"/console/projects/{SEARCH_PROJECT}/groups"),
    ("project-archive", f"/console/projects/{SEARCH_PROJECT}/archive"),
    ("not-found", "/console/no-such-page"),
    ("roles", "/console/roles"),
    ("role", "/console/roles/role_support_agents"),
    ("groups", "/console/groups"),
    ("group", "/console/groups/group_platform"),
    ("audit-log", "/console/audit-log"),
    ("audit-log-filtered", "/console/audit-log?event_type=user.updated"),
    ("emulator", "/console/emulator"),
    ("emulator-reset", "/console/emulator/reset"),
]


@pytest.mark.parametrize("path", [p for _, p in AXE_PAGES], ids=[n for n, _ in AXE_PAGES])
def test_axe_signed_in_pages(axe_page: Page, shared_server, path):
    path = path(shared_server) if callable(path) else path
    if path == "/console/no-such-page":
        assert axe_page.goto(path).status == 404
        expect(axe_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    else:
        goto_page(axe_page, path)
    violations = axe_serious(axe_page)
    assert not violations, f"axe on {path}:\n" + "\n".join(violations)


def test_axe_sign_in_pages(browser, server):
    page = new_page(browser, server.url, bypass_csp=True)
    try:
        page.goto("/console/sign-in")
        violations = axe_serious(page)
        assert not violations, "axe on the sign-in page:\n" + "\n".join(violations)
        page.get_by_label("Admin API key").fill("sk-admin-wrong-key-000000000000000000")
        page.get_by_role("button", name="Sign in").click()
        expect(alert(page)).to_have_text("That key is not valid.")
        violations = axe_serious(page)
        assert not violations, "axe on the refused sign-in:\n" + "\n".join(violations)
    finally:
        page.context.close()


def test_axe_pages_after_changes(browser, server):
    """Pages reached by a form: a flash message, a refusal, the new admin key, the 403 page."""
    page = new_page(browser, server.url, bypass_csp=True)
    try:
        sign_in(page)
        checked = {}
        change_role(page, "user-alan-turing", "owner")
        expect(flash(page)).to_be_visible()
        checked["flash message"] = axe_serious(page)
        change_role(page, "user-grace-hopper", "reader")
        change_role(page, "user-alan-turing", "reader")
        change_role(page, "user-ada-lovelace", "reader")
        expect(alert(page)).to_be_visible()
        checked["last-owner refusal"] = axe_serious(page)
        page.goto("/console/admin-keys")
        page.get_by_label("Name").fill("Deploy bot")
        page.get_by_role("button", name="Create key").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Admin key created")
        checked["new admin key"] = axe_serious(page)
        page.goto("/console/people/user-alan-turing")
        role_form(page).locator('input[name="csrf"]').evaluate("e => e.value = 'forged'")
        page.get_by_role("button", name="Change role").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
        checked["403 page"] = axe_serious(page)
        failed = {k: v for k, v in checked.items() if v}
        assert not failed, "\n".join(f"axe on the {k}:\n" + "\n".join(v) for k, v in failed.items())
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def narrow_page(browser, shared_server):
    """A signed-in page 360 CSS pixels wide, the narrowest layout the console supports."""
    page = new_page(browser, shared_server.url, viewport={"width": 360, "height": 740})
    sign_in(page)
    expect(page).to_have_url(url("/console/people"))
    yield page
    page.context.close()


@pytest.mark.parametrize("path", [p for _, p in AXE_PAGES], ids=[n for n, _ in AXE_PAGES])
def test_pages_fit_a_narrow_screen(narrow_page: Page, shared_server, path):
    path = path(shared_server) if callable(path) else path
    narrow_page.goto(path)
    width = narrow_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide at 360 px: it scrolls sideways"
