#!/usr/bin/python3
"""Browser tests of pg_jobs_web in headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium).

    test/browser/web_browser.py URL SCREENSHOT_DIR

The dashboard at URL serves a cluster set up by test/integration/web_browser.sh:
roles boss (jobs_admin, password boss-pw) and alice (plain, alice-pw); jobs
greet (postgres's, on demand), alice_report and alice_fail (alice's),
bob_secret_job (bob's). Prints "ok - ..." per check; exits 1 at the first failure.
"""
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

URL, SHOTS = sys.argv[1], sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") if hasattr(
        webdriver, "ChromeService") else webdriver.chrome.service.Service("/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


driver = make_driver()
step = "start"


def fail(message):
    shot = os.path.join(SHOTS, "failure.png")
    try:
        driver.save_screenshot(shot)
        print("# page at failure: " + shot, file=sys.stderr)
        print("# console: " + repr(driver.get_log("browser"))[:2000], file=sys.stderr)
    except Exception:  # noqa: BLE001 - best effort
        pass
    print("not ok - " + message, file=sys.stderr)
    driver.quit()
    sys.exit(1)


def ok(message):
    print("ok - " + message, flush=True)


def wait(condition, what, seconds=20):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition())
    except TimeoutException:
        fail(f"{what} (waited {seconds} s)")


def find(css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


def text(css):
    return driver.execute_script(
        "const el = document.querySelector(arguments[0]); return el ? el.innerText : '';", css)


def attribute(css, name):
    """An attribute of the first element `css` finds, read in one script: the live updates draw the page
    again, so an element found first may be gone by the time it is asked."""
    return driver.execute_script(
        "const el = document.querySelector(arguments[0]); return el ? el.getAttribute(arguments[1]) : null;",
        css, name)


def click(by, what):
    """Clicks what `by` finds, finding it anew until a click lands (live updates draw tables again)."""
    def attempt():
        driver.find_element(by, what).click()
        return True
    wait(attempt, f"{what} can be clicked")


def sign_in(role, password, read_only=False):
    driver.get(URL + "/")
    wait(lambda: find("#login-form"), "the sign-in form is shown")
    find("#role").send_keys(role)
    find("#password").send_keys(password)
    if read_only:
        find("#read_only").click()
    find("#signin").click()


def job_names():
    return sorted(driver.execute_script(
        "return [...document.querySelectorAll('#jobs-table .job-name')].map((a) => a.textContent);"))


def sign_out():
    click(By.CSS_SELECTOR, "#signout")
    wait(lambda: find("#login-form"), "signing out shows the sign-in form")


try:
    # Wrong password: refused, with the same words as for a role that does not exist.
    sign_in("boss", "not-the-password")
    wait(lambda: find("#login-error") and find("#login-error").is_displayed(), "a wrong password is refused")
    wrong = text("#login-error")
    sign_in("nobody_at_all", "whatever")
    wait(lambda: find("#login-error") and find("#login-error").is_displayed(), "an unknown role is refused")
    if text("#login-error") != wrong or "wrong role or password" not in wrong:
        fail(f"the refusals differ or say too much: {wrong!r} / {text('#login-error')!r}")
    ok("a wrong password and an unknown role are refused with the same message")

    # Sign in as the administrator; the overview shows the server.
    sign_in("boss", "boss-pw")
    wait(lambda: find(".card.server .stats"), "the overview shows the server after sign-in")
    wait(lambda: "Live" in text("#live"), "the live indicator says Live")
    wait(lambda: "up" in text(".card.server .stat .badge"), "the overview says the scheduler is up")
    wait(lambda: find(".timeline svg"), "the overview shows the last hour's timeline")
    wait(lambda: find(".card.server .badge[data-health='ok']"), "the overview shows jobs.health()'s status: ok")
    driver.save_screenshot(os.path.join(SHOTS, "overview.png"))
    ok("boss signs in and sees the overview (scheduler up, health ok, live, timeline)")

    # The jobs page lists the demo jobs.
    driver.get(URL + "/assets/index.html#/jobs")
    wait(lambda: {"greet", "alice_report", "bob_secret_job"} <= set(job_names()), "the jobs page lists every job")
    driver.save_screenshot(os.path.join(SHOTS, "jobs.png"))
    ok("the jobs page lists the jobs of every owner for jobs_admin: " + ", ".join(job_names()))
    search = find("#job-search")
    search.send_keys("alice_")
    wait(lambda: job_names() == ["alice_fail", "alice_report"], "searching filters the jobs")
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.DELETE)
    wait(lambda: "greet" in job_names(), "clearing the search shows every job again")
    ok("search filters the jobs table")

    # Last status: alice_fail's run failed (the filter and the sort read jobs.job_last_run).
    Select(find("#job-status")).select_by_value("failed")
    wait(lambda: job_names() == ["alice_fail"], "the filter by last status 'failed' shows alice_fail", 30)
    Select(find("#job-status")).select_by_value("")
    wait(lambda: "greet" in job_names(), "any status shows every job again")

    def click_header(label):
        click(By.XPATH, f"//th/button[contains(., '{label}')]")

    def row_statuses():
        return driver.execute_script(
            "return [...document.querySelectorAll('#jobs-table td.last-status .badge')].map((b) => b.dataset.status);")

    def in_last_run_order(descending):
        statuses = row_statuses()
        ran = [st for st in statuses if st != "never"]
        return (len(ran) >= 1 and statuses == ran + ["never"] * (len(statuses) - len(ran))
                and ran == sorted(ran, reverse=descending))
    for direction in ("ascending", "descending"):
        click_header("Last run")
        # Drawn with the rows: the header says which sort they are in.
        wait(lambda: "Last run" in text(f"th[aria-sort='{direction}']") and in_last_run_order(direction == "descending"),
             f"sorted by last run ({direction}): the jobs that ran in that order, then those that never did")
    click_header("Job")
    wait(lambda: find("th[aria-sort='ascending']") is not None and "Job" in text("th[aria-sort='ascending']"),
         "sorted by name again")
    ok("the jobs table filters by last status (failed: alice_fail) and sorts by last run both ways")

    # Trigger greet and watch its badge turn succeeded without a reload.
    click(By.LINK_TEXT, "greet")
    wait(lambda: find("#job-status .badge"), "the job page shows the job's status")
    before = attribute("#job-status .badge", "data-status")
    if before == "succeeded":
        fail("greet has not succeeded before it is triggered (a fresh cluster)")
    driver.execute_script("window.__still_the_same_page = true;")
    find("#payload").send_keys('{"name": "browser"}')
    click(By.CSS_SELECTOR, "#trigger-run")
    wait(lambda: "Queued run" in text("#payload-check"), "triggering queues a run")
    wait(lambda: find("#job-status .badge[data-status='succeeded']"), "the badge turns succeeded", 30)
    if not driver.execute_script("return window.__still_the_same_page === true;"):
        fail("the page was reloaded")
    ok(f"trigger: the badge went from {before} to succeeded without a reload")
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(os.path.join(SHOTS, "job.png"))

    # A bad schedule: the engine's error, with its caret, as you type.
    schedule = find("#schedule-input")
    schedule.send_keys(Keys.CONTROL, "a")
    schedule.send_keys("*/5 * * * *")
    wait(lambda: "every 5 minutes" in text("#schedule-words"), "a good schedule is described in words")
    schedule.send_keys(Keys.CONTROL, "a")
    schedule.send_keys("61 * * * *")
    wait(lambda: find("#schedule-error pre.detail") and "^" in text("#schedule-error pre.detail"),
         "a bad schedule shows the engine's error with its caret")
    message = text("#schedule-error")
    if "61" not in message or find("#schedule-save").is_enabled():
        fail("the error names the bad value and the save button is off: " + message)
    driver.save_screenshot(os.path.join(SHOTS, "schedule-error.png"))
    ok("a bad schedule shows: " + message.splitlines()[0])

    # Disable the job.
    click(By.CSS_SELECTOR, "#act-disable")
    wait(lambda: find("#job-disabled") and find("#act-enable"), "disabling shows the job as disabled")
    ok("Disable: the job shows as disabled and offers Enable")

    # Runs page.
    driver.get(URL + "/assets/index.html#/runs")
    wait(lambda: find("table.runs tr[data-run]"), "the runs page lists runs")
    ok("the runs page lists runs")

    # Phone width.
    driver.set_window_size(390, 844)
    driver.get(URL + "/assets/index.html#/jobs")
    wait(lambda: "greet" in job_names(), "the jobs page works at phone width")
    driver.save_screenshot(os.path.join(SHOTS, "jobs-phone.png"))
    driver.set_window_size(1280, 900)
    ok("the jobs page works at phone width")

    # A plain role sees only its own jobs.
    sign_out()
    sign_in("alice", "alice-pw")
    wait(lambda: find(".card.server"), "alice signs in")
    driver.get(URL + "/assets/index.html#/jobs")
    wait(lambda: job_names() == ["alice_fail", "alice_report"], "alice sees exactly her own jobs")
    ok("alice (a plain role) sees only her jobs: " + ", ".join(job_names()))
    click(By.CSS_SELECTOR, "a[data-nav='alerts']")
    wait(lambda: find(".card.alert[data-alert='alice watch']"), "the alerts page shows alice's alert")
    if "of alice_fail" not in text(".card.alert[data-alert='alice watch']"):
        fail("the alert card says which jobs it watches: " + text(".card.alert"))
    driver.save_screenshot(os.path.join(SHOTS, "alerts.png"))
    ok("the alerts page shows alice's alert: its rule and state")

    # A read-only session: the action buttons are off.
    sign_out()
    sign_in("alice", "alice-pw", read_only=True)
    wait(lambda: find(".card.server"), "alice signs in read-only")
    click(By.CSS_SELECTOR, "a[data-nav='jobs']")
    wait(lambda: "alice_report" in job_names(), "the jobs page in a read-only session")
    click(By.LINK_TEXT, "alice_report")
    wait(lambda: find("#act-disable") or find("#act-enable"), "the job page in a read-only session")
    if find("#trigger-run").is_enabled() or (find("#act-disable") or find("#act-enable")).is_enabled():
        fail("a read-only session offers actions")
    ok("a read-only session shows the actions switched off")
finally:
    driver.quit()
