"""Real Chromium drives the app: the journey, the exclusion rule, the teacher's limits, and axe-core.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/ensure-system-deps);
Playwright never downloads a browser. Screenshots go to test-output/screenshots.
"""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.adapters.migrate import upgrade
from caseflow.bootstrap import bootstrap
from caseflow.demo import DEMO_PASSWORD, load_demo, typical_school_year
from caseflow.domain.events import LONDON
from caseflow.domain.exclusions import school_year
from caseflow.domain.school_calendar import school_year_calendar
from caseflow.domain.totp import hotp, step_at
from tests.journey_helpers import days_ago, england_today

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    upgrade(url)
    services = bootstrap(url)
    load_demo(services, lambda _: None)
    app = create_app({"SERVICES": services, "SECRET_KEY": "browser-tests"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    services.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run .ci/ensure-system-deps (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True)  # only so axe-core can be injected
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # on the role's own first page
    if username in ("dsl", "head", "slt", "senco", "mhl", "teacher", "sw"):
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def open_case_of(page: Page, family: str) -> None:
    page.get_by_role("link", name=family).first.click()
    expect(page.locator("#case-state")).to_be_visible()


def take(page: Page, action: str) -> None:
    page.get_by_role("link", name=action, exact=True).first.click()
    expect(page.get_by_role("heading", name=action)).to_be_visible()


def submit(page: Page, action: str) -> None:
    page.get_by_role("button", name=action).click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def test_dsl_walks_a_case_from_need_to_transition(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "dsl")
    page.get_by_role("link", name="Raise a need").click()
    page.get_by_label("Pupil").select_option(label="Singh, Harry (year 2)")
    page.get_by_label("Learning").check()
    page.get_by_label("Description of the need").fill("Reading age two years behind; struggles after weekends.")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator("#case-state")).to_have_text("Need identified")
    shot(page, "01-need-identified")

    take(page, "Start the One Plan")
    submit(page, "Start the One Plan")
    expect(page.locator("#case-state")).to_have_text("One Plan")
    expect(page.get_by_text("The One Plan needs at least one outcome.")).to_be_visible()
    shot(page, "02-one-plan-blocked")

    take(page, "Record the One Plan")
    page.get_by_label("Outcomes").fill("Reading age within a year of actual age\nReads to an adult daily")
    page.get_by_label("Strengths").fill("Curious and chatty; loves dinosaurs.")
    page.get_by_label("Aspirations").fill("Wants to be a palaeontologist.")
    submit(page, "Record the One Plan")
    take(page, "Record the family's views")
    page.get_by_label("Family's views", exact=True).fill("Dad would like reading books sent home.")
    submit(page, "Record the family's views")
    take(page, "Record the pupil's voice")
    page.get_by_label("What the pupil said").fill("I like stories about dinosaurs.")
    submit(page, "Record the pupil's voice")
    take(page, "Convene the multi-agency review")
    submit(page, "Convene the multi-agency review")
    expect(page.locator("#case-state")).to_have_text("Multi-agency review")

    take(page, "Record a meeting")
    page.get_by_label("Date of the meeting").fill(days_ago(9))  # no more than a year back, by the server's real clock
    page.get_by_label("Person 1 name").fill("Dana Shah")
    page.get_by_label("Person 1 agency").select_option("school")
    page.get_by_label("Person 2 name").fill("Sam Ahmed")
    page.get_by_label("Person 2 agency").select_option("send_service")
    page.get_by_label("The pupil's aspirations were discussed").check()
    submit(page, "Record a meeting")
    take(page, "Plan an intervention")
    page.get_by_label("Intervention", exact=True).fill("Catch Up Literacy with Ms Nair")
    page.get_by_label("Programme from the evidence catalogue").select_option(label="Catch Up Literacy")
    page.get_by_label("Owner").fill("Priya Nair")
    page.get_by_label("Baseline measure").fill("Reading age 5y2m")
    review = england_today() + timedelta(days=10)  # today or later, by the server's real clock
    page.get_by_label("Review date").fill(review.isoformat())
    submit(page, "Plan an intervention")
    take(page, "Agree interventions")
    submit(page, "Agree interventions")
    expect(page.locator("#case-state")).to_have_text("Intervention")
    shot(page, "03-intervention")

    case_url = page.url
    page.get_by_role("link", name="Reviews due").click()
    page.get_by_label("As at").fill((review + timedelta(days=5)).isoformat())
    page.get_by_label("And due within this many days (0 to 400)").fill("0")
    page.get_by_role("button", name="Show").click()
    due = page.locator("#due-list tr", has_text="Catch Up Literacy with Ms Nair")
    expect(due).to_contain_text("Overdue by 5 days")
    expect(due).to_contain_text("Priya Nair")
    assert axe_violations(page) == []
    shot(page, "03b-reviews-due")
    due.get_by_role("link").click()
    expect(page.locator("#case-state")).to_have_text("Intervention")
    assert page.url == case_url

    page.locator("#interventions").get_by_role("link", name="Catch Up Literacy").click()
    expect(page.locator("#catch_up_literacy")).to_be_visible()
    page.go_back()
    name = page.locator("#interventions td").first.inner_text().split(" (planned ")[0]  # its name and day, no number
    take(page, "Record an outcome measure")
    chosen = page.get_by_label("Intervention", exact=True)
    chosen.select_option(chosen.locator("option", has_text=name).get_attribute("value"))  # from the interventions running
    page.get_by_label("Outcome measure").fill("Reading age 6y0m")
    page.get_by_label("Status of the intervention").select_option("continuing")
    submit(page, "Record an outcome measure")
    take(page, "Move to evaluation")
    submit(page, "Move to evaluation")
    take(page, "Record the evaluation")
    page.get_by_label("Verdict").select_option("effective")
    page.get_by_label("Summary").fill("Ten months' progress in eight weeks.")
    submit(page, "Record the evaluation")
    take(page, "Prepare the transition")
    page.get_by_label("Kind of transition").select_option("phase_change")
    page.get_by_label("Transition date").fill("2027-09-01")
    page.get_by_label("Receiving setting").fill("Riverside Academy")
    submit(page, "Prepare the transition")
    expect(page.locator("#case-state")).to_have_text("Transition")
    shot(page, "04-transition")
    assert axe_violations(page) == []


def test_social_worker_gives_a_view_then_the_head_decides(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "sw")
    expect(page.locator("#awaiting")).to_contain_text("the proposed suspension of Chloe Nowak")
    shot(page, "05a-social-worker-home")
    open_case_of(page, "Nowak, Chloe")
    expect(page.get_by_text("Awaiting view")).to_be_visible()
    page.get_by_role("link", name="Give your view on this proposal").click()
    page.get_by_label("Contribution", exact=True).fill(
        "Chloe's home situation is fragile this month; please consider an alternative to suspension."
    )
    shot(page, "05-social-worker-view")
    submit(page, "Add a contribution")
    expect(page.get_by_text("Given by Jo Evans (Social worker) on")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base_url, "head")
    open_case_of(page, "Nowak, Chloe")
    page.get_by_role("link", name="Decide on this proposal").click()
    page.get_by_label("Decision", exact=True).select_option("withdraw")
    page.get_by_label("Reasons (for the notice to the parents)", exact=True).fill(
        "Agreed a reduced timetable with the social worker instead."
    )
    submit(page, "Decide a proposed suspension")
    expect(page.locator("#proposals")).to_contain_text("Withdraw")
    shot(page, "06-head-decided")


def _school_day_to_come(count: int) -> str:
    """The demo school's ``count``-th school day after today (past the days of the suspension the demo decided): a
    suspension starts no earlier than the day it is proposed (support_journey@10), so a date typed once goes by."""
    today = datetime.now(LONDON).date()
    year = school_year(today)
    found = school_year_calendar(year, *typical_school_year(year)).school_day(today, count)
    if found is None:  # past the school year's last days: the next one's
        found = school_year_calendar(year + 1, *typical_school_year(year + 1)).school_day(date(year + 1, 8, 31), count)
    assert found is not None
    return found.isoformat()


def test_head_cannot_decide_before_the_social_worker_is_heard(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "slt")
    open_case_of(page, "Carter, Ben")
    take(page, "Propose a suspension")
    page.get_by_label("School days").fill("1")
    page.get_by_label("Proposed start date").fill(_school_day_to_come(5))
    page.get_by_label("Reason").fill("Assault on a member of staff.")
    submit(page, "Propose a suspension")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base_url, "head")
    open_case_of(page, "Carter, Ben")
    page.get_by_role("link", name="Decide on this proposal").click()
    page.get_by_label("Decision", exact=True).select_option("suspend")
    page.get_by_role("button", name="Decide a proposed suspension").click()
    expect(page.locator("#override_reason-error")).to_contain_text("wait for the social worker's view on this proposal")
    # the head decides with each proposal's views, or their absence, in front of them
    expect(page.locator("[id^=awaiting-]").first).to_contain_text("No view has been given on it yet.")
    shot(page, "07-decision-refused")


def test_head_records_who_was_told_of_a_suspension_and_sees_what_is_still_owed(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "head")
    open_case_of(page, "Carter, Ben")
    expect(page.locator("#suspension-counters")).to_contain_text("3 days of suspension")
    decision = page.locator(".caseflow-decision").first
    expect(decision).to_contain_text("Not yet recorded")
    assert axe_violations(page) == [], page.url
    shot(page, "08-suspension-notices-owed")
    decision.get_by_role("link", name="Record that the governing board was told").click()
    expect(page.get_by_label("Who was told")).to_have_value("governing_board")
    page.get_by_label("Told on").fill(datetime.now(LONDON).date().isoformat())
    page.get_by_label("How").select_option("email")
    submit(page, "Record who was told of a suspension or exclusion")
    expect(page.locator(".caseflow-decision").first).to_contain_text("(email), recorded by Harriet Okafor (Headteacher)")
    page.get_by_role("link", name="Reviews due").click()
    owing = page.locator("#decisions-owing-list")
    expect(owing).to_contain_text("Carter")
    expect(owing).to_contain_text("The local authority")
    expect(owing).not_to_contain_text("The governing board")
    expect(page.locator("#files-owing-list")).to_contain_text("Finley Ward")  # moving on, the file not yet sent
    assert axe_violations(page) == [], page.url
    shot(page, "08b-owed-on-the-due-list")


def test_dsl_sees_the_cohort_dashboard_with_charts(page: Page, base_url: str) -> None:
    fonts: list[str] = []
    page.on("request", lambda request: fonts.append(request.url) if "/assets/fonts/" in request.url else None)
    sign_in(page, base_url, "dsl")
    page.get_by_role("link", name="Cohort").click()
    expect(page.get_by_role("heading", name="Children with a social worker")).to_be_visible()
    expect(page.locator("#attendance-chart svg polyline")).to_have_count(2)
    expect(page.locator("#sdq-chart svg circle")).not_to_have_count(0)
    expect(page.locator("#comparison")).to_contain_text("Whole school")
    expect(page.locator("#cohort-table")).to_contain_text("Severe")
    shot(page, "10-cohort-dashboard")
    assert axe_violations(page) == []
    flags = page.locator("#cohort-table .caseflow-flag").all()
    assert flags, "the demo has flagged pupils"
    for flag in flags:  # a flag stays inside its cell (a long one used to spill into the next column)
        box, cell = flag.bounding_box(), flag.locator("xpath=ancestor::td[1]").bounding_box()
        assert box and cell and box["x"] + box["width"] <= cell["x"] + cell["width"] + 0.5, flag.inner_text()
    expect(page.locator("#sdq-chart .caseflow-chart__key--circle")).to_contain_text("circle")  # keys drawn as the marks
    assert fonts == [], "GDS Transport is for gov.uk services only: no page fetches it"
    page.get_by_label("Flag").select_option("persistent")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#cohort-table tbody tr")
    expect(rows).not_to_have_count(0)
    for text in rows.all_inner_texts():
        assert "Persistent" in text or "Severe" in text


def test_teacher_sees_no_safeguarding_detail(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "teacher")
    expect(page.locator("#raise-only")).to_contain_text("the designated safeguarding lead sees it at once")
    body = page.content()
    for secret in ("Osei", "Carter", "Nowak", "Has a social worker now", "Social care", "Timeline"):
        assert secret not in body
    shot(page, "08-teacher-home")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My classes").click()
    expect(page.get_by_role("heading", name="Classroom profiles")).to_be_visible()
    expect(page.locator("#main-content")).to_contain_text("A quiet five minutes with a trusted adult")
    profiles = page.locator("#main-content").inner_text()
    for secret in ("CIN", "CP", "NEG", "social worker", "Social care", "suspension", "UPN"):
        assert secret not in profiles
    assert axe_violations(page) == []
    shot(page, "09-teacher-classroom-profiles")
    page.goto(f"{base_url}/audit/")
    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()


def test_no_serious_accessibility_violations_on_the_main_pages(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    assert axe_violations(page) == []
    checked = 1
    for username, paths in {
        "dsl": ["/", "/cases/new", "/imports", "/cohort", "/interventions", "/pupils", "/pupils/new", "/account"],
        "auditor": ["/audit/", "/reports/governors?school_urn=100001", "/audit/retention?within=3660"],
        "governor": ["/reports/governors"],
        "vs": ["/la", "/la?sort=attendance&q=Oak", "/reports/la"],
        "admin": ["/admin/"],
    }.items():
        sign_in(page, base_url, username)
        if username == "dsl":
            open_case_of(page, "Khan, Ellie")
            assert axe_violations(page) == [], page.url
            page.get_by_role("link", name="Pupil record").click()
            assert axe_violations(page) == [], page.url
            page.get_by_role("link", name="Record an SDQ").click()
            assert axe_violations(page) == [], page.url
            page.go_back()
            page.go_back()
            take(page, "Record a meeting")
            assert axe_violations(page) == [], page.url
            page.get_by_role("button", name="Record a meeting").click()  # the error summary too
            assert axe_violations(page) == [], page.url
            checked += 5
        if username == "auditor":
            page.goto(f"{base_url}/audit/")
            page.locator("table a").first.click()
            assert axe_violations(page) == [], page.url
            page.get_by_role("link", name="Subject-access bundle for this child").click()
            expect(page.locator("#reviewer-notes")).to_be_visible()
            assert axe_violations(page) == [], page.url
            page.get_by_label("Date the request was received (optional)").fill("2999-01-01")
            page.get_by_role("button", name="Download the bundle").click()
            expect(page.get_by_text("cannot be in the future").first).to_be_visible()
            assert axe_violations(page) == [], page.url
            shot(page, "12-subject-access-error")
            checked += 3
        for path in paths:
            page.goto(base_url + path)
            assert axe_violations(page) == [], page.url
            shot(page, f"axe-{username}-{path.strip('/').replace('/', '-').split('?')[0] or 'home'}")
            checked += 1
        page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base_url}/nowhere")
    assert axe_violations(page) == []
    assert checked >= 10


def test_a_governor_prints_the_report_and_downloads_it_as_csv(page: Page, base_url: str, tmp_path: Path) -> None:
    """The report the governors' papers need: a CSV of the same anonymised figures, and on paper (or
    as a PDF from the print dialogue) the report alone, without the service's header and forms."""
    sign_in(page, base_url, "governor")
    page.goto(f"{base_url}/reports/governors")
    expect(page.get_by_role("heading", name="Children with a social worker: report for governors")).to_be_visible()
    expect(page.get_by_role("button", name="Print, or save as PDF")).to_be_visible()  # shown once the script runs
    figures = page.locator("#report dd").all_inner_texts()  # a figure not shown points to its note: "fewer than 5 [note 1]"
    on_page = dict(
        zip(page.locator("#report dt").all_inner_texts(), [re.sub(r" \[note \d\]$", "", f) for f in figures], strict=True)
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as a CSV file").click()
    assert download.value.suggested_filename.startswith("governors-report-100001-")
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    rows = {figure: value for figure, value, _ in csv.reader(saved.read_text().splitlines())}
    assert {label: rows[label] for label in on_page} == on_page and rows["School URN"] == "100001"
    page.emulate_media(media="print")
    expect(page.locator(".govuk-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Show")).to_be_hidden()
    expect(page.locator("#report")).to_be_visible()
    shot(page, "10-governors-report-as-printed")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000


def test_a_dsl_rates_the_school_against_the_guidance_and_the_governor_reads_it(page: Page, base_url: str) -> None:
    """The self-assessment from the navigation: a rating with its evidence, then the governors' report."""
    sign_in(page, base_url, "dsl")
    page.get_by_role("link", name="Self-assessment").click()
    expect(page.get_by_role("heading", name="Self-assessment against the guidance")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Rate indicator 14").click()
    expect(page.locator("#indicator-text")).to_contain_text("engages with the local authority")
    page.get_by_role("button", name="Record the rating").click()  # nothing chosen: the form says what is missing
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("Where the school is").select_option("developing")
    page.get_by_label("Evidence").fill("The DSL attends the Virtual School's termly network; no joint project yet.")
    page.get_by_role("button", name="Record the rating").click()
    expect(page.locator("#indicator-14")).to_contain_text("Developing")
    expect(page.locator("#indicator-14")).to_contain_text("termly network")
    shot(page, "11-self-assessment")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base_url, "governor")
    page.goto(f"{base_url}/reports/governors")
    expect(page.locator("#self-assessment")).to_contain_text("termly network")
    expect(page.locator("#self-assessment-ratings")).to_contain_text("Developing")
    assert axe_violations(page) == []


def test_a_lead_sets_up_two_step_sign_in_and_signs_in_with_a_code(page: Page, base_url: str) -> None:
    """From 'Your account': the QR code and key, a code from the 'app' (computed here from the key on
    the page), then a sign-in that asks for one."""
    sign_in(page, base_url, "mhl")
    page.get_by_role("link", name="Your account").click()
    expect(page.locator("#two-step-status")).to_contain_text("Off")
    page.get_by_role("button", name="Set up two-step sign-in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.locator(".caseflow-qr svg")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "13-two-step-set-up")
    secret = page.locator("#key").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(hotp(secret, step_at(datetime.now(UTC))))
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#two-step-status")).to_contain_text("On")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill("mhl")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("6 digits")
    assert axe_violations(page) == []
    shot(page, "14-two-step-code")
    page.get_by_label("Code from your authenticator app").fill(hotp(secret, step_at(datetime.now(UTC)) + 1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()


def test_an_auditor_sees_a_case_as_its_record_stood_at_a_date(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "auditor")
    page.goto(f"{base_url}/audit/")
    page.locator("a[href^='/audit/cases/']").first.click()
    expect(page.locator("#as-at-form")).to_be_visible()
    page.get_by_label("As it stood on", exact=True).fill("1/1/2020")  # typed day first, as the hint shows
    page.get_by_role("button", name="Show the case then").click()
    expect(page.locator("#as-recorded-at")).to_contain_text("1 January 2020, 23:59")
    expect(page.get_by_role("heading", name=re.compile(r"Case as at version 0 of \d+"))).to_be_visible()
    page.get_by_role("link", name="Latest").click()
    page.locator(".caseflow-event-data summary").first.click()
    expect(page.locator(".caseflow-event-data pre").first).to_contain_text("pupil_id")
    assert axe_violations(page) == []
    shot(page, "15-audit-case-as-recorded")


def test_an_auditor_sees_a_suspension_and_its_notices_as_they_stood(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "auditor")
    page.goto(f"{base_url}/audit/")
    page.get_by_role("link", name="Carter, Ben").first.click()
    state = page.locator("#state-at-version")
    expect(state.locator("#one-plan")).to_be_visible()
    expect(state.locator("#replayed-proposals")).to_contain_text("Parents told")
    assert axe_violations(page) == [], page.url
    shot(page, "16-audit-state-at-version")


def test_the_head_sees_the_schools_term_dates_and_a_wrong_date_is_explained(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "head")
    page.get_by_role("link", name="Term dates").click()
    expect(page.get_by_role("heading", name="Term dates")).to_be_visible()
    expect(page.locator("table.govuk-table").first).to_contain_text("Autumn")  # the demo school set this year's
    assert axe_violations(page) == [], page.url
    shot(page, "17-term-dates")
    page.get_by_label("Days closed inside the terms").fill("next friday")
    page.get_by_role("button", name="Save the dates").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("is not a date (YYYY-MM-DD) or a run of dates")
    assert axe_violations(page) == [], page.url
    shot(page, "17b-term-dates-error")
    page.get_by_role("link", name="Cases").first.click()
    open_case_of(page, "Carter, Ben")
    expect(page.locator("#terms-used")).to_contain_text("Terms are the school's own")


def test_the_auditor_saves_the_logs_heads_and_checks_the_log_against_them(page: Page, base_url: str, tmp_path: Path) -> None:
    sign_in(page, base_url, "auditor")
    page.get_by_role("link", name="Audit").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the log's heads now").click()
    saved = tmp_path / "heads.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["streams"] > 10
    page.get_by_label("A file of heads saved earlier").set_input_files(str(saved))
    page.get_by_role("button", name="Check the log against them").click()
    expect(page.locator("#heads-result")).to_contain_text("Only grown since")
    assert axe_violations(page) == [], page.url
    shot(page, "18-log-heads-checked")


def test_the_dsl_imports_pupils_and_watches_the_progress_bar(page: Page, base_url: str, tmp_path: Path) -> None:
    from caseflow.demo import make_upn

    rows = [f"{make_upn('881', '4001', 2021, n)},Given{n},Family{n},2015-02-03,100001,4" for n in range(1, 401)]
    csv = tmp_path / "pupils.csv"
    csv.write_text("upn,given_name,family_name,date_of_birth,school_urn,year_group\n" + "\n".join(rows) + "\n")
    sign_in(page, base_url, "dsl")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("What the file holds").select_option("pupils")
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator("#import-outcome")).to_contain_text("400 pupils’ records changed")
    expect(page.locator("#import-progress-bar")).to_have_attribute("value", "100")
    expect(page.locator("#import-progress-text")).to_have_text("Done.")
    assert page.url.endswith("/imports")  # the page stayed: the outcome came with the progress
    assert axe_violations(page) == [], page.url
    shot(page, "19-import-progress")


def test_a_second_case_for_a_child_is_confirmed_and_told_apart_in_the_list(page: Page, base_url: str) -> None:
    """It leaves Ellie with one open case again: the second is closed into it."""
    sign_in(page, base_url, "dsl")
    page.get_by_role("link", name="Raise a need").click()
    ellie = page.locator("#pupil_id option", has_text="Khan, Ellie").first.text_content() or ""
    assert ellie.endswith(": has an open case")
    page.get_by_label("Pupil").select_option(label=ellie)
    page.get_by_label("Behaviour").check()
    page.get_by_label("Description of the need").fill("Lashing out at lunchtimes.")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator("#pupil_id-error")).to_contain_text("Ellie already has an open case: at the step")
    expect(page.locator("#pupil_id-error").get_by_role("link")).to_have_count(1)
    assert axe_violations(page) == [], page.url
    shot(page, "20-second-case-asked")
    page.get_by_label("Open a second case for this pupil anyway").check()
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator("#case-state")).to_have_text("Need identified")
    expect(page.locator("#other-open-case-1")).to_contain_text("Ellie has another open case")
    page.get_by_role("link", name="Cases").first.click()
    rows = [row.inner_text() for row in page.locator("tr", has=page.get_by_role("link", name="Khan, Ellie")).all()]
    assert len(rows) == 2 and rows[0] != rows[1]
    # support_journey@9: the need only repeats the open case, so the DSL closes it into that one
    page.locator("tr", has=page.get_by_role("link", name="Khan, Ellie")).filter(has_text="Need identified").first.get_by_role(
        "link", name="Khan, Ellie"
    ).click()
    take(page, "Close as part of the pupil's other open case")
    other = page.locator("#other_case option").nth(1).text_content() or ""
    assert other.startswith("At the step “"), other
    page.get_by_label("The pupil's other open case").select_option(label=other)
    page.get_by_label("Note").fill("The same worry: lunchtimes, already in Ellie's plan.")
    assert axe_violations(page) == [], page.url
    submit(page, "Close as part of the pupil's other open case")
    expect(page.locator("#case-state")).to_have_text("Closed")
    expect(page.locator("#closed-into")).to_contain_text("Closed as part of Ellie’s case at the step")
    page.locator("#closed-into").get_by_role("link").click()
    expect(page.locator("#closed-into-this-1")).to_contain_text("Lashing out at lunchtimes.")
    assert axe_violations(page) == [], page.url
    shot(page, "21-need-closed-into-the-open-case")


def test_the_dsl_adds_a_fifth_person_to_a_meeting_without_javascript(browser: Browser, base_url: str) -> None:
    """The "Add another person" button is a plain submit: the form comes back as typed, with a fifth row to fill in."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, base_url, "dsl")
        open_case_of(page, "Hughes, Daniel")
        take(page, "Record a meeting")
        page.get_by_label("Date of the meeting").fill(days_ago(8))
        for number, (name, agency) in enumerate(
            [("Dana Shah", "school"), ("Sam Ahmed", "social_care"), ("Jo Evans", "camhs"), ("Ann Lee", "health")], 1
        ):
            page.get_by_label(f"Person {number} name").fill(name)
            page.get_by_label(f"Person {number} agency").select_option(agency)
        page.get_by_role("button", name="Add another person").click()
        expect(page.get_by_label("Person 5 name")).to_be_focused()
        expect(page.get_by_label("Person 1 name")).to_have_value("Dana Shah")
        expect(page.get_by_label("Person 4 agency")).to_have_value("health")
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
        page.get_by_label("Person 5 name").fill("Priya Nair")
        page.get_by_label("Person 5 agency").select_option("send_service")
        submit(page, "Record a meeting")
        expect(page.get_by_text("Priya Nair").first).to_be_visible()
    finally:
        context.close()


def test_enter_in_a_meeting_form_records_the_meeting_not_another_row(page: Page, base_url: str) -> None:
    """A text box's Enter submits with the form's first button, which was "Add another person" once the list
    grew one: the form's own action now comes first, unseen, so Enter records the meeting as it did."""
    sign_in(page, base_url, "dsl")
    open_case_of(page, "Hughes, Daniel")
    take(page, "Record a meeting")
    page.get_by_label("Date of the meeting").fill(days_ago(7))
    page.get_by_label("Person 1 name").fill("Dana Shah")
    page.get_by_label("Person 1 agency").select_option("school")
    page.get_by_label("Person 2 name").fill("Sam Ahmed")
    page.get_by_label("Person 2 agency").select_option("social_care")
    page.get_by_label("Person 2 name").press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Meeting recorded.")


def test_on_a_phone_no_page_scrolls_sideways_and_the_menu_folds(browser: Browser, base_url: str) -> None:
    """The sixth walk at 375px: the home page was 494px wide and the cohort 882px, so the whole page scrolled
    sideways and headings were cut; the full navigation filled the first screen. A wide table now scrolls in a box
    of its own (a region a keyboard can reach to scroll it), and the navigation folds behind a Menu button."""
    context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        for username, paths in {"dsl": ["/", "/cohort"], "vs": ["/la"], "auditor": ["/audit/"], "admin": ["/admin/"]}.items():
            sign_in(page, base_url, username)
            for path in paths:
                page.goto(base_url + path)
                assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url
                wide = page.locator("main .caseflow-table-scroll").evaluate_all(
                    "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth).map(b => [b.tabIndex, b.getAttribute('role')])"
                )
                assert wide and all(reach == [0, "region"] for reach in wide), (page.url, wide)
                assert axe_violations(page) == [], page.url
            shot(page, f"phone-{username}")
            menu = page.get_by_role("button", name="Menu")
            expect(menu).to_be_visible()
            expect(page.locator("#navigation")).to_be_hidden()
            menu.click()
            expect(page.locator("#navigation")).to_be_visible()
            page.get_by_role("button", name="Sign out").click()
    finally:
        context.close()


def test_the_dsl_corrects_an_entry_from_its_own_link_and_chooses_it_by_name(page: Page, base_url: str) -> None:
    """A DSL corrects an entry from the timeline's "Correct this entry": the form names the entry in words, chosen
    already, with no version anywhere on the case page or the form; a correction sent without an entry is told on
    the list, and the timeline then says which entry it corrects, as the list named it."""
    sign_in(page, base_url, "dsl")
    open_case_of(page, "Hughes, Daniel")
    expect(page.locator("#case-last-recorded")).to_contain_text(" by ")
    expect(page.locator("#case-version")).to_have_count(0)
    opened = page.locator(".caseflow-timeline__item").last  # the oldest: the case opening
    expect(opened.get_by_role("heading")).not_to_have_text(re.compile(r"^\s*\d+\."))
    opened.get_by_role("link", name=re.compile("^Correct this entry")).click()
    expect(page.get_by_role("heading", name="Correct an earlier entry")).to_be_visible()
    chosen = page.get_by_label("The entry to correct")
    expect(chosen.locator("option:checked")).to_have_text(re.compile(r"^Open a case, .+, by "))
    assert "version" not in page.locator("main").inner_text().casefold()
    entry = chosen.locator("option:checked").inner_text()
    chosen.select_option("")
    page.get_by_label("Correction").fill("The need was first raised a week earlier.")
    page.get_by_role("button", name="Correct an earlier entry").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The entry to correct is required")
    expect(page.locator("#corrects-error")).to_be_visible()
    page.get_by_label("The entry to correct").select_option(label=entry)
    submit(page, "Correct an earlier entry")
    newest = page.locator(".caseflow-timeline__item").first
    expect(newest).to_contain_text(entry)
    shot(page, "20-correction-named-in-words")


def test_back_after_saving_and_saving_again_asks_before_recording_it_twice(page: Page, base_url: str) -> None:
    """A new user's walk: saved, pressed Back, saved again, and a second identical contact (and incident) was
    recorded silently. Back fetches the form again, with the version now, and Chromium puts back what was typed;
    the form now says the same entry was just recorded, and records another only once that is ticked."""
    today = datetime.now(LONDON).date().isoformat()
    sign_in(page, base_url, "dsl")
    open_case_of(page, "Hughes, Daniel")
    case_url = page.url
    take(page, "Log contact with the family")
    page.get_by_label("Date").fill(today)
    page.get_by_label("How").select_option("phone")
    page.get_by_label("Summary").fill("Dad rang: Daniel anxious about the trip; agreed a visit beforehand.")
    submit(page, "Log contact with the family")
    contacts = page.locator(".caseflow-timeline__item", has_text="Daniel anxious about the trip")
    expect(contacts).to_have_count(1)
    page.go_back()
    expect(page.get_by_label("Summary")).to_have_value("Dad rang: Daniel anxious about the trip; agreed a visit beforehand.")
    page.get_by_role("button", name="Log contact with the family").click()
    warning = page.locator("#repeat-question .govuk-warning-text")
    expect(warning).to_contain_text("You recorded this contact with the family at ")
    expect(warning).to_contain_text(" today, with the same details. Record it again?")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert axe_violations(page) == [], page.url
    shot(page, "22-the-same-contact-asked")
    case_page = page.context.new_page()
    case_page.goto(case_url)
    expect(case_page.locator(".caseflow-timeline__item", has_text="Daniel anxious about the trip")).to_have_count(1)
    case_page.close()  # nothing was recorded while it was asked
    page.get_by_label("Yes, this is another contact").check()
    submit(page, "Log contact with the family")
    expect(contacts).to_have_count(2)

    page.get_by_role("link", name="Pupil record").click()
    take(page, "Record a behaviour incident")
    page.get_by_label("Date").fill(today)
    page.get_by_label("Category").select_option("disruption")
    page.get_by_label("Severity").select_option("low")
    page.get_by_label("What happened").fill("Shouted across the hall in assembly.")
    submit(page, "Record a behaviour incident")
    page.go_back()
    page.get_by_role("button", name="Record a behaviour incident").click()
    expect(page.locator("#repeat-question")).to_contain_text("You recorded this behaviour incident at ")
    expect(page.get_by_label("Yes, this is another incident")).not_to_be_checked()
