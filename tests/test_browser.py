"""The chat page in a real headless Chromium: what a user sees and clicks."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import EVIL_DOC, ROOT, STAFF_PASSWORD, launch_app, stop_app, wait_ready

WAIT = 240  # seconds; generous, the machine is shared
PRIPP = "Vem instämde i Sverigedemokraternas särskilda yttrande?"


@pytest.fixture
def page(browser, app_server):
    browser.get(app_server.url + "/")
    WebDriverWait(browser, 60).until(lambda d: "Klar:" in d.find_element(By.ID, "pg-status").text)
    return browser


def _ask(driver, question: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "#pg-question textarea")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "pg-send").click()


BOT = "#pg-chat .pg-answer, #pg-chat .pg-refusal, #pg-chat .pg-error"


def _answers(driver) -> list[str]:
    """The bot messages' texts, read in one go: the page re-renders while an answer streams."""
    return driver.execute_script(f"return [...document.querySelectorAll({BOT!r})].map(e => e.innerText)")


def _wait_final(driver, count: int):
    """The `count`-th bot message once it is final (streaming messages end in ' …')."""
    WebDriverWait(driver, WAIT, poll_frequency=0.2).until(
        lambda d: len(found := _answers(d)) >= count and not found[count - 1].endswith("…"))
    time.sleep(0.3)
    return driver.find_elements(By.CSS_SELECTOR, BOT)[count - 1]


def test_examples_on_the_empty_page(page):
    examples = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#pg-chat button.example")]
    assert "Vilka partier lämnade särskilda yttranden?" in examples
    assert "Hur slutade omröstningen om tiggeriförbudet?" in examples


def test_answer_streams_piece_by_piece(page):
    _ask(page, "Vad skriver Moderaterna om prevention?")
    seen: list[str] = []  # the answer as it grows
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = _answers(page)
        if found:
            text = found[-1]
            if not seen or seen[-1] != text:
                seen.append(text)
            if not text.endswith("…"):
                break
        time.sleep(0.05)
    partial = [t for t in seen if t.endswith("…") and "Söker i dokumenten" not in t]
    assert len(partial) >= 2, seen  # the text grew piece by piece before the checked answer replaced it
    assert not seen[-1].endswith("…")


def test_answer_with_highlighted_sources_markers_and_document_view(page, app_server):
    _ask(page, PRIPP)
    answer = _wait_final(page, 1)
    assert "Anders Pripp" in answer.text
    sources = page.find_elements(By.CSS_SELECTOR, "#pg-chat .pg-source")
    locators = [s.find_element(By.CSS_SELECTOR, ".pg-locator").text for s in sources]
    assert any("Bilaga 13" in loc for loc in locators), locators
    marks = [m.text for m in page.find_elements(By.CSS_SELECTOR, "#pg-chat .pg-source mark")]
    assert "Pripp" in marks  # the cited words are highlighted in the quote

    # a marker in the answer jumps to its source
    marker = answer.find_elements(By.CSS_SELECTOR, "a.pg-marker")[-1]
    target = marker.get_attribute("href").split("#", 1)[1]
    marker.click()
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("#" + target))
    assert page.find_element(By.ID, target).find_element(By.CSS_SELECTOR, ".pg-locator").text.startswith("[")

    user = page.find_element(By.CSS_SELECTOR, "#pg-chat .user-row")
    page.execute_script("arguments[0].scrollIntoView({block: 'start'}); window.scrollTo(0, 0)", user)
    time.sleep(0.5)
    shots = Path(os.environ.get("PARAGRAF_SCREENSHOTS") or Path(app_server.index).parent)  # docs/ for the README
    page.save_screenshot(str(shots / "chat.png"))
    assert (shots / "chat.png").stat().st_size > 10_000

    # the whole document, scrolled to the passage
    link = sources[-1].find_element(By.PARTIAL_LINK_TEXT, "Öppna dokumentet")
    url = link.get_attribute("href")
    assert link.get_attribute("target") == "_blank"
    page.get(url)
    mark = page.find_element(By.CSS_SELECTOR, "mark#stycke")
    assert "Pripp" in mark.text or "Olsson" in mark.text
    assert page.execute_script("return window.scrollY") > 0
    page.save_screenshot(str(shots / "document.png"))


def test_refusal_looks_like_one_and_shows_closest_passages(page):
    _ask(page, "Vad kostar ett busskort för ungdomar i Malmö?")
    answer = _wait_final(page, 1)
    assert "pg-refusal" in answer.get_attribute("class")
    assert "Det framgår inte av dokumenten" in answer.text
    assert page.find_elements(By.CSS_SELECTOR, "#pg-chat .pg-source")
    assert "Närmast i dokumenten" in page.find_element(By.ID, "pg-chat").text


def test_markup_from_documents_and_questions_stays_text(page):
    # an amount no document states: refused by code, the closest passages (with the planted markup) shown
    _ask(page, "Hur mycket kostar snöröjningen i Testby? <img src=x onerror=\"window.__pwned=9\"> <b>fet</b>")
    _wait_final(page, 1)
    chat = page.find_element(By.ID, "pg-chat")
    text = chat.text
    assert '<img src=x onerror="window.__pwned=9">' in text and "<b>fet</b>" in text  # the question, as typed
    assert '<img src=x onerror="window.__pwned = 2">' in text  # the document's markup, shown as characters
    assert page.execute_script("return window.__pwned") is None
    assert page.title != "pwned"
    assert not chat.find_elements(By.CSS_SELECTOR, "script, img[onerror], b, a[href^='javascript']")
    assert EVIL_DOC in text


def test_follow_up_and_new_conversation(page):
    _ask(page, PRIPP)
    _wait_final(page, 1)
    _ask(page, "Och vilken bilaga finns det i?")
    second = _wait_final(page, 2)
    assert "13" in second.text  # searched together with the previous question
    page.find_element(By.XPATH, "//button[normalize-space()='Ny konversation']").click()
    WebDriverWait(page, 10).until(lambda d: not _answers(d))
    assert page.find_elements(By.CSS_SELECTOR, "#pg-chat button.example")


def test_feedback_is_saved(page, app_server):
    before = _feedback(app_server)
    _ask(page, PRIPP)
    _wait_final(page, 1)
    page.find_element(By.CSS_SELECTOR, "#pg-chat button[aria-label='Ogilla']").click()
    WebDriverWait(page, 10).until(lambda d: len(_feedback(app_server)) == len(before) + 1)
    assert "Tack!" in page.find_element(By.ID, "pg-feedback-note").text
    page.find_element(By.XPATH, "//button[contains(., 'Synpunkt på senaste svaret')]").click()
    comment = WebDriverWait(page, 10).until(
        lambda d: d.find_element(By.XPATH, "//label[contains(., 'Kommentar')]//textarea"))
    comment.send_keys("Källan borde vara bilagan.")
    page.find_element(By.XPATH, "//button[normalize-space()='Skicka synpunkt']").click()
    WebDriverWait(page, 10).until(lambda d: len(_feedback(app_server)) == len(before) + 2)
    down, note = _feedback(app_server)[-2:]
    assert down["rating"] == "ner" and down["question"] == PRIPP and "Anders Pripp" in down["answer"]
    assert any("Bilaga 13" in c["locator"] for c in down["citations"])
    assert note["rating"] == "kommentar" and note["comment"] == "Källan borde vara bilagan."


def _feedback(app_server) -> list[dict]:
    if not app_server.feedback.exists():
        return []
    return [json.loads(line) for line in app_server.feedback.read_text(encoding="utf-8").splitlines()]


def test_staff_tab_needs_the_password_then_uploads_lists_and_removes(page, app_server, tmp_path):
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]").click()
    password = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#pg-staff input[type=password]"))
    password.send_keys("fel-lösenord")
    page.find_element(By.XPATH, "//button[normalize-space()='Logga in']").click()
    WebDriverWait(page, 10).until(lambda d: "Fel lösenord" in d.find_element(By.ID, "pg-staff").text)
    assert not page.find_elements(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']")
    password.clear()
    password.send_keys(STAFF_PASSWORD)
    page.find_element(By.XPATH, "//button[normalize-space()='Logga in']").click()
    upload = WebDriverWait(page, 10).until(
        lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']"))
    staff = page.find_element(By.ID, "pg-staff")
    assert "malmo/kf-2026-01-22-p8-aterrapportering-kraftsamlande-insatser-ocr.txt" in staff.text
    assert "Kommunfullmäktige" in staff.text  # what the parser found

    good = tmp_path / "Byggnadsnämnden 2026-03-04.md"
    shutil.copy(ROOT / "corpus/kungsbacka/ks/2026/2026-08-25/protokoll-kommunstyrelsen-protokoll-2026-08-25-179-180.md",
                good)
    empty = tmp_path / "tom.txt"
    empty.write_text("   ", encoding="utf-8")
    page.find_element(By.CSS_SELECTOR, "#pg-staff input[type=file]").send_keys(f"{good}\n{empty}")
    time.sleep(2)
    upload.click()
    WebDriverWait(page, WAIT).until(lambda d: "✓" in d.find_element(By.ID, "pg-staff").text)
    text = page.find_element(By.ID, "pg-staff").text
    assert "✓ uppladdade/Byggnadsnämnden 2026-03-04.md: indexerad" in text
    assert "✗ tom.txt: filen är tom" in text
    assert (app_server.corpus / "uppladdade" / good.name).read_bytes() == good.read_bytes()
    gradio_temp = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert not list(gradio_temp.rglob(good.name))  # no copy left to fetch through /gradio_api/file=
    assert not (app_server.corpus / "uppladdade" / "tom.txt").exists()

    # the chat tab's filters offer the new document and its organ, without a reload
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Fråga')]").click()
    for menu, choice in (("pg-doc", f"uppladdade/{good.name}"), ("pg-organ", "Kommunstyrelsen")):
        page.find_element(By.CSS_SELECTOR, f"#{menu} input").click()
        WebDriverWait(page, 10).until(lambda d: d.find_element(By.XPATH, f"//li[contains(., '{choice}')]"))
        page.find_element(By.CSS_SELECTOR, "#pg-question textarea").click()  # closes the menu
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]").click()

    # the remove menu lists the new document; removing it takes it out of the folder and the index
    page.find_element(By.CSS_SELECTOR, "#pg-remove input").click()
    option = WebDriverWait(page, 10).until(
        lambda d: d.find_element(By.XPATH, f"//li[contains(., 'uppladdade/{good.name}')]"))
    option.click()
    page.find_element(By.XPATH, "//button[normalize-space()='Ta bort']").click()
    WebDriverWait(page, WAIT).until(lambda d: "är borttaget" in d.find_element(By.ID, "pg-staff").text)
    assert not (app_server.corpus / "uppladdade" / good.name).exists()
    status = json.loads(page.execute_script(
        "return fetch('/status').then(r => r.text())"))
    assert status["ready"] and "4 dokument" in status["message"]


# gradio's own English strings a visitor could meet (text, button labels, tooltips, placeholders)
ENGLISH = re.compile(r"\b(?:Loading|queue|Submit|Clear|Copy|Copied|Like|Dislike|Share|Retry|Undo|Use via API|"
                     r"Built with|Settings|Error|Close|Drop File Here|Click to Upload|Upload|Download|Stop|"
                     r"Select|Search|Remove|Send|Examples?|Chatbot|Message|Textbox|Dropdown|Login|Complete|"
                     r"conversation|common\.\w+)\b", re.I)
_SHOWN = """return [document.body.innerText, ...[...document.querySelectorAll('[aria-label],[title],[placeholder]')]
  .flatMap(e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')])
  .filter(Boolean)].join('\\n')"""


def _english(driver) -> list[str]:
    return sorted({m.group(0) for m in ENGLISH.finditer(driver.execute_script(_SHOWN))})


def test_the_page_is_swedish_for_an_english_browser_too(page):
    """The browser in these tests asks for English: the page still speaks Swedish, and says so."""
    assert page.execute_script("return document.documentElement.lang") == "sv"
    assert page.title == "Paragraf"
    assert "protokoll" in page.find_element(By.CSS_SELECTOR, "meta[name=description]").get_attribute("content")
    assert not _english(page), _english(page)  # the examples' labels included
    _ask(page, PRIPP)
    _wait_final(page, 1)
    assert not _english(page), _english(page)  # the messages' and copy buttons' labels included
    assert "Använd via API" in page.find_element(By.TAG_NAME, "body").text  # gradio's own Swedish in use
    assert "common." not in page.find_element(By.TAG_NAME, "body").text  # no untranslated key shown as such
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]").click()
    time.sleep(1)
    assert not _english(page), _english(page)
    page.find_element(By.CSS_SELECTOR, "#pg-staff input[type=password]").send_keys(STAFF_PASSWORD)
    page.find_element(By.XPATH, "//button[normalize-space()='Logga in']").click()
    WebDriverWait(page, 10).until(lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']"))
    time.sleep(1)
    assert not _english(page), _english(page)  # the upload area's labels included


def test_a_link_asks_its_question_and_the_answer_copies_with_its_sources(browser, app_server):
    browser.get(app_server.url + "/?fraga=" + quote(PRIPP))
    answer = _wait_final(browser, 1).text
    assert "Anders Pripp" in answer and browser.find_element(By.CSS_SELECTOR, "#pg-chat").text.count(PRIPP) == 1
    # the copy button puts the plain answer with its 'Källor' list where the browser's clipboard API would
    browser.execute_script("window.__copied = null; navigator.clipboard.writeText = "
                           "t => { window.__copied = t; return Promise.resolve(); };")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "pg-copy").is_enabled())
    time.sleep(1)  # the copy text follows the answer by one event
    browser.find_element(By.ID, "pg-copy").click()
    copied = WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.__copied"))
    assert "Anders Pripp" in copied, copied
    said, sources = copied.split("\n\nKällor:\n")
    sources, matter = sources.split("\n\nÄrendets gång (STK-2024-1374):\n")  # the matter's steps follow
    assert "2026-01-22 Kommunfullmäktige § 8" in matter
    markers = re.findall(r"\[\d+\]", said)
    assert markers and [line.split()[0] for line in sources.splitlines()] == sorted(set(markers), key=markers.index)
    assert "<" not in copied, copied
    assert "Bilaga 13" in copied.split("Källor:")[1]


def test_a_second_user_waits_for_the_first_and_conversations_stay_apart(page, app_server):
    """A record answer does not wait while another user's answer is written by the model."""
    first_tab = page.current_window_handle
    _ask(page, "Vad skriver Moderaterna om prevention?")  # a free-text answer: the LLM is busy for seconds
    WebDriverWait(page, WAIT, poll_frequency=0.05).until(
        lambda d: bool(found := _answers(d)) and not found[0].startswith("Söker i dokumenten"))
    page.switch_to.new_window("tab")
    page.get(app_server.url + "/")
    WebDriverWait(page, 60).until(lambda d: "Klar:" in d.find_element(By.ID, "pg-status").text)
    _ask(page, PRIPP)
    seen = set()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = _answers(page)
        seen.update(found)
        if found and not found[0].endswith("…"):
            break
        time.sleep(0.05)
    assert not any("Väntar på språkmodellen" in t for t in seen), seen  # a record answer never waits for it
    second = page.find_element(By.ID, "pg-chat").text
    assert "Anders Pripp" in second and "Vad skriver Moderaterna om prevention?" not in second
    page.close()
    page.switch_to.window(first_tab)
    _wait_final(page, 1)
    first = page.find_element(By.ID, "pg-chat").text
    assert "Sverigedemokraternas särskilda yttrande?" not in first and len(_answers(page)) == 1


def test_an_upload_on_one_app_is_answered_by_another_over_one_postgres(browser, pg_url, tmp_path):
    """Two `python app.py` on loopback share one Postgres index: a document uploaded in the staff tab of
    the first is cited by the second's /ask, with no restart."""
    from gradio_client import Client

    name = "kf-2026-01-22-p8-aterrapportering-kraftsamlande-insatser-ocr.txt"
    question = "Vilka lämnade särskilt yttrande när kommunfullmäktige behandlade kraftsamlande insatser?"
    apps = []
    try:
        for which, docs in (("a", ["ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt"]), ("b", [])):
            (tmp_path / which / "corpus").mkdir(parents=True)
            for doc in docs:
                shutil.copy(ROOT / "corpus" / "malmo" / doc, tmp_path / which / "corpus" / doc)
            apps.append(launch_app(tmp_path / which, tmp_path / which / "corpus", pg_url,
                                   *(["--staff"] if which == "a" else [])))
            wait_ready(*apps[-1])  # the first builds the shared index, the second finds it
        (_, first, _), (_, second, _) = apps
        other = Client(second + "/", verbose=False)
        assert not any(c["doc"].endswith(name) for c in other.predict(question, api_name="/ask")["citations"])
        browser.get(first + "/")
        WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]"))
        browser.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]").click()
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#pg-staff input[type=password]")).send_keys(STAFF_PASSWORD)
        browser.find_element(By.XPATH, "//button[normalize-space()='Logga in']").click()
        upload = WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']"))
        browser.find_element(By.CSS_SELECTOR, "#pg-staff input[type=file]").send_keys(str(ROOT / "corpus" / "malmo" / name))
        time.sleep(2)
        upload.click()
        WebDriverWait(browser, WAIT).until(lambda d: "✓" in d.find_element(By.ID, "pg-staff").text)
        deadline = time.monotonic() + 30  # the second instance looks every PARAGRAF_REFRESH_S (2 s)
        while True:
            answer = other.predict(question, api_name="/ask")
            if any(c["doc"].endswith(name) for c in answer["citations"]) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert any(c["doc"].endswith(name) for c in answer["citations"]), answer
        assert "Kay Wictorin" in answer["answer"]
    finally:
        for proc, _, log in apps:
            stop_app(proc, log)


# ---------------------------------------------------------------------------------------------- accessibility
AXE = Path(os.environ.get("PARAGRAF_AXE_DIR") or Path.home() / ".cache" / "paragraf" / "axe-core") / "axe.min.js"
AXE_REPORT = ROOT / "tests" / ".artifacts" / "axe-report.json"
_RUN_AXE = """const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}))))"""


def _axe(driver, view: str, report: dict) -> list[dict]:
    """axe-core's violations in `view` as the page stands; all go to the report and the test log, the
    serious and critical ones are returned."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `bash scripts/setup-browser.sh` (fetches axe-core from npm)")
    driver.set_script_timeout(120)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(_RUN_AXE)
    report[view] = found
    for v in found:
        print(f"axe {view}: {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:3]}")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations_in_any_view(page, app_server):
    """EN 301 549 / WCAG 2.1 AA as axe-core checks it: the chat, an answer with sources, a refusal, the
    document view and the staff tab."""
    report: dict[str, list] = {}
    bad = {"chat": _axe(page, "chat", report)}
    _ask(page, PRIPP)
    _wait_final(page, 1)
    time.sleep(1)  # gradio fades a finished message in
    bad["answer"] = _axe(page, "answer", report)
    link = page.find_elements(By.PARTIAL_LINK_TEXT, "Öppna dokumentet")[-1].get_attribute("href")
    _ask(page, "Vad kostar ett busskort för ungdomar i Malmö?")
    assert "pg-refusal" in _wait_final(page, 2).get_attribute("class")
    time.sleep(1)
    bad["refusal"] = _axe(page, "refusal", report)
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Personal')]").click()
    password = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#pg-staff input[type=password]"))
    bad["staff login"] = _axe(page, "staff login", report)
    password.send_keys(STAFF_PASSWORD)
    page.find_element(By.XPATH, "//button[normalize-space()='Logga in']").click()
    WebDriverWait(page, 10).until(lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']"))
    time.sleep(1)
    bad["staff"] = _axe(page, "staff", report)
    page.get(link)
    bad["document"] = _axe(page, "document", report)
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not any(bad.values()), {view: found for view, found in bad.items() if found}
    assert page.execute_script("return document.documentElement.lang") == "sv"


def _focused(driver) -> dict:
    return driver.execute_script("""const e = document.activeElement, s = getComputedStyle(e);
      return {tag: e.tagName, id: e.id, label: e.getAttribute('aria-label') || '', text: (e.innerText || e.value || '').slice(0, 60),
              within: e.closest('[id^="pg-"]')?.id || '', href: e.getAttribute('href') || '',
              shown: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'}""")


def _tab_to(driver, wanted, limit: int = 120, back: bool = False) -> dict:
    """Tab (or Shift+Tab) until the focused element satisfies `wanted`; each stop must show its focus."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    passed = []
    for _ in range(limit):
        chain = ActionChains(driver)
        (chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT) if back else chain.send_keys(Keys.TAB)).perform()
        now = _focused(driver)
        assert now["tag"] == "BODY" or now["shown"], f"no visible focus on {now}"
        passed.append(now)
        if wanted(now):
            return now
    pytest.fail(f"not reached by the keyboard; passed {[(p['tag'], p['id'], p['label'], p['text'][:20]) for p in passed]}")


def _keys(driver, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def test_the_chat_works_by_keyboard_alone(page, app_server):
    """Ask, follow a marker, open the document view at its passage, give feedback, filter, log in as
    staff: Tab, Enter and arrows only, every stop with visible focus."""
    from selenium.webdriver.common.keys import Keys

    before = _feedback(app_server)
    _tab_to(page, lambda f: f["tag"] == "TEXTAREA" and f["within"] == "pg-question")
    _keys(page, PRIPP, Keys.ENTER)
    answer = _wait_final(page, 1)
    assert "Anders Pripp" in answer.text
    # the answer is in a region a screen reader reads out politely as it changes
    assert page.execute_script("return document.querySelector('#pg-chat .pg-answer').closest('[aria-live]')"
                               "?.getAttribute('aria-live')") == "polite"

    marker = _tab_to(page, lambda f: f["href"].startswith("#pg-"))
    _keys(page, Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith(marker["href"]))

    _tab_to(page, lambda f: f["text"].startswith("Öppna dokumentet"))
    chat_window = page.current_window_handle
    _keys(page, Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: len(d.window_handles) == 2)
    page.switch_to.window([w for w in page.window_handles if w != chat_window][0])
    WebDriverWait(page, 10).until(lambda d: d.execute_script("return document.activeElement.id") == "stycke")
    assert "Det citerade stycket börjar." in page.execute_script("return document.body.textContent")
    page.close()
    page.switch_to.window(chat_window)

    _tab_to(page, lambda f: f["label"] == "Ogilla")
    _keys(page, Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: len(_feedback(app_server)) == len(before) + 1)

    _tab_to(page, lambda f: f["within"] == "pg-organ" and f["tag"] == "INPUT")
    _keys(page, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ENTER)
    WebDriverWait(page, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#pg-organ input").get_attribute("value") not in ("", "Alla"))

    _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"].strip() == "Personal", back=True)
    _keys(page, Keys.ENTER)
    _tab_to(page, lambda f: f["tag"] == "INPUT" and f["within"] == "pg-staff" and f["label"] in ("", "Lösenord"))
    _keys(page, STAFF_PASSWORD, Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Ladda upp och indexera']"))
