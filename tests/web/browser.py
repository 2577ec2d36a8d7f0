"""The web console in a real browser: headless Chromium over WebDriver (selenium).

Run by tests/web/browser.rs against a gxd it started and filled:
    browser.py BASE_URL WORKDIR
with the tokens in the environment (GX_FILER, GX_REVIEWER — never on a command
line), WORKDIR holding fixed.json. With GX_SCREENSHOTS set to a directory, the board, a
report with a finding and a diff are saved there as PNG.
"""

import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

BASE, WORK = sys.argv[1], sys.argv[2]
SHOTS = os.environ.get("GX_SCREENSHOTS_DIR", "")
COUNTY, TOWN = "621024", "621024101"


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get("GX_CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=zh-CN",
        "--user-data-dir=" + tempfile.mkdtemp(prefix="gx-chromium-"),
    ]:
        o.add_argument(flag)
    service = Service(executable_path=os.environ.get("GX_CHROMEDRIVER", "/usr/bin/chromedriver"))
    d = webdriver.Chrome(service=service, options=o)
    d.implicitly_wait(5)
    return d


def check(cond, what, d):
    if not cond:
        print("FAILED:", what, "at", d.current_url, file=sys.stderr)
        print(d.page_source[:4000], file=sys.stderr)
        sys.exit(1)
    print("ok:", what)


def shot(d, name, height=None):
    if not SHOTS:
        return
    if height:
        d.set_window_size(1400, height)
    d.save_screenshot(os.path.join(SHOTS, name))
    d.set_window_size(1400, 1000)
    print("screenshot:", name)


def click(d, el):
    """Clicks and waits for the next page to replace this one: until the element clicked is
    no longer in a document (chromedriver says so as "stale element" or, mid-navigation, as
    an inspector error — both mean gone)."""
    el.click()

    def gone(_):
        try:
            el.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(d, 10).until(gone)


def sign_in(d, token):
    d.get(BASE + "/")
    d.find_element(By.ID, "token").send_keys(token)
    click(d, d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    check("登录" not in d.title, "signed in", d)


def sign_out(d):
    click(d, d.find_element(By.CSS_SELECTOR, "form.inline button"))
    check(d.find_elements(By.ID, "token"), "signed out", d)


def board_and_report(d):
    d.get(f"{BASE}/board/{COUNTY}/2020")
    rows = d.find_elements(By.CSS_SELECTOR, "#board tbody tr")
    check(len(rows) == 2, "the board has one row per body", d)
    check(d.find_element(By.CSS_SELECTOR, f"tr[data-org='{TOWN}']").get_attribute("data-state") == "errors",
          "固城镇 is published with errors", d)
    shot(d, "web-board.png", 640)
    click(d, d.find_element(By.LINK_TEXT, "固城镇"))
    cell = d.find_element(By.CSS_SELECTOR, "td[data-key='t4.review.total']")
    check("f-error" in cell.get_attribute("class"), "the wrong total is marked", d)
    note = cell.find_element(By.CSS_SELECTOR, ".cell-note").text
    check("建议值：3" in note, "the cell says its message and the suggested value: " + note, d)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    shot(d, "web-report.png")
    click(d, d.find_element(By.LINK_TEXT, "与上年对比"))
    check(d.find_elements(By.ID, "diff-summary"), "the diff page is open", d)
    check("结转核对" in d.page_source, "the diff shows the carry-over check", d)
    check(d.find_elements(By.CSS_SELECTOR, "table.cells tbody tr"), "the diff lists changed cells", d)
    shot(d, "web-diff.png", 1100)


def upload_fixed(d):
    click(d, d.find_element(By.LINK_TEXT, "上传报告"))
    d.find_element(By.ID, "file").send_keys(os.path.join(WORK, "fixed.json"))
    click(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    check(d.find_elements(By.ID, "submit"), "the upload is previewed", d)
    for area in d.find_elements(By.CSS_SELECTOR, "textarea[name^='explain.']"):
        area.send_keys("上年结转数有误，已核实。")
    d.find_element(By.ID, "reason").send_keys("更正表四合计")
    click(d, d.find_element(By.ID, "submit"))
    check("第 2 版" in d.find_element(By.ID, "summary").text, "the fixed report is revision 2", d)
    check(not d.find_elements(By.CSS_SELECTOR, "td.f-error"), "no cell is marked any more", d)


def return_it(d):
    d.get(f"{BASE}/reports/{TOWN}/2020")
    d.find_element(By.ID, "return-reason").send_keys("表四行政复议总计有误")
    d.find_element(By.NAME, "cell_1").send_keys("t4.review.total")
    d.find_element(By.NAME, "note_1").send_keys("应为各项之和3")
    click(d, d.find_element(By.ID, "return"))
    check("退回修改" in d.find_element(By.ID, "review-state").text, "the report is returned", d)


def filer_sees_the_reason(d):
    d.get(f"{BASE}/reports/{TOWN}/2020")
    state = d.find_element(By.ID, "review-state").text
    check("表四行政复议总计有误" in state, "the filer sees the reason: " + state, d)
    cell = d.find_element(By.CSS_SELECTOR, "td[data-key='t4.review.total']")
    check("审核意见：应为各项之和3" in cell.text, "the filer sees the note on the cell", d)


def accept_it(d):
    d.get(f"{BASE}/reports/{TOWN}/2020")
    click(d, d.find_element(By.ID, "accept"))
    check("审核通过" in d.find_element(By.ID, "review-state").text, "the report is accepted", d)
    d.get(f"{BASE}/board/{COUNTY}/2020")
    row = d.find_element(By.CSS_SELECTOR, f"tr[data-org='{TOWN}']")
    check(row.get_attribute("data-state") == "accepted", "the board says accepted", d)


def main():
    d = browser()
    try:
        sign_in(d, os.environ["GX_REVIEWER"])
        board_and_report(d)
        return_it(d)
        sign_out(d)
        sign_in(d, os.environ["GX_FILER"])
        check(f"/board/{TOWN}/" in d.current_url, "the filer lands on its own board", d)
        filer_sees_the_reason(d)
        upload_fixed(d)
        sign_out(d)
        sign_in(d, os.environ["GX_REVIEWER"])
        accept_it(d)
        sign_out(d)
    finally:
        d.quit()
    print("browser: all steps passed")


main()
