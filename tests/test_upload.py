"""Uploads from the staff tab: crafted names never write outside the corpus folder nor replace a file."""
from __future__ import annotations

import os
import threading

import pytest

from app import render_answer, text
from rag.corpus import UPLOAD_FOLDER, UploadError, remove_document, safe_name, save_upload
from rag.feedback import FeedbackLog

DOC = "Kommunstyrelsen § 1\n\nBeslut: godkänt.\n".encode()
MB = 1_000_000


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "malmo").mkdir(parents=True)
    (folder / "malmo" / "ks.md").write_text("original", encoding="utf-8")
    return folder


def _files_outside(tmp_path, corpus) -> list:
    return [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(corpus)]


@pytest.mark.parametrize("name", [
    "../../evil.md", "..\\..\\evil.md", "/etc/cron.d/evil.md", "C:\\Windows\\evil.md", "malmo/../../evil.md",
    "%2e%2e%2fevil.md", "evil.md\x00.pdf", "\u202eevil\u202c.md", "....//....//evil.md",
])
def test_crafted_names_land_inside_the_upload_folder(corpus, tmp_path, name):
    try:
        saved = save_upload(corpus, name, DOC, MB)
    except UploadError as exc:  # refusing is also fine, as long as it says why
        assert exc.reason
    else:
        assert saved.path.parent == (corpus / UPLOAD_FOLDER).absolute()
        assert saved.path.read_bytes() == DOC and saved.doc_id == f"{UPLOAD_FOLDER}/{saved.path.name}"
        assert "/" not in saved.path.name and "\\" not in saved.path.name and "\x00" not in saved.path.name
    assert _files_outside(tmp_path, corpus) == []
    assert (corpus / "malmo" / "ks.md").read_text(encoding="utf-8") == "original"


def test_safe_name_keeps_swedish_names_readable():
    assert safe_name("Protokoll KS 2026-01-07 § 16 (bilaga 13).pdf") == "Protokoll KS 2026-01-07 _ 16 (bilaga 13).pdf"
    assert safe_name("Förskolenämnden_ÅÄÖ.docx") == "Förskolenämnden_ÅÄÖ.docx"
    assert safe_name("../../x.md") == "x.md"
    assert len(safe_name("a" * 500 + ".pdf")) <= 120 and safe_name("a" * 500 + ".pdf").endswith(".pdf")


def test_an_existing_name_is_never_overwritten(corpus):
    first = save_upload(corpus, "protokoll.md", DOC, MB)
    with pytest.raises(UploadError, match="finns redan"):
        save_upload(corpus, "protokoll.md", b"replacement", MB)
    with pytest.raises(UploadError, match="finns redan"):
        save_upload(corpus, "sub/../protokoll.md", b"replacement", MB)
    assert first.path.read_bytes() == DOC
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".upload-")]  # no temp file left


def test_racing_uploads_of_one_name_keep_exactly_one(corpus):
    results: list = []

    def upload(i: int) -> None:
        try:
            results.append(save_upload(corpus, "samma.md", f"version {i} ".encode() + DOC, MB))
        except UploadError:
            results.append(None)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r]
    assert len(winners) == 1
    assert (corpus / UPLOAD_FOLDER / "samma.md").read_bytes().startswith(b"version ")


def test_a_link_in_place_of_the_upload_folder_is_refused(corpus, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, corpus / UPLOAD_FOLDER)
    with pytest.raises(UploadError, match="ogiltigt filnamn"):
        save_upload(corpus, "x.md", DOC, MB)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("name,data,reason", [
    ("program.exe", DOC, "filtypen '.exe' stöds inte"),
    ("utan-ändelse", DOC, "filtypen '(ingen)' stöds inte"),
    ("stor.pdf", b"%PDF" + b"x" * (2 * MB), "filen är 2.0 MB, gränsen är 1.0 MB"),
    ("tom.txt", b"  \n ", "filen är tom"),
    ("..", DOC, "ogiltigt filnamn"),
    (".md", DOC, "ogiltigt filnamn"),
])
def test_refused_uploads_name_the_file_and_the_reason(corpus, name, data, reason):
    with pytest.raises(UploadError) as exc:
        save_upload(corpus, name, data, MB)
    assert reason in str(exc.value) and str(exc.value).startswith(exc.value.name)
    assert not (corpus / UPLOAD_FOLDER).exists() or not any((corpus / UPLOAD_FOLDER).iterdir())


def test_remove_only_inside_the_corpus(corpus, tmp_path):
    (tmp_path / "keep.md").write_text("x", encoding="utf-8")
    for doc_id in ("../keep.md", "/etc/passwd", "malmo/../../keep.md", "malmo/finns-inte.md"):
        with pytest.raises(UploadError):
            remove_document(corpus, doc_id)
    assert (tmp_path / "keep.md").exists()
    remove_document(corpus, "malmo/ks.md")
    assert not (corpus / "malmo" / "ks.md").exists()


def test_feedback_lines_from_many_threads_stay_whole(tmp_path):
    log = FeedbackLog(tmp_path / "fb" / "feedback.jsonl")
    answer = {"answer": "Svar [1]", "refused": False, "models": {"llm": "x"},
              "citations": [{"n": 1, "chunk_id": "c1", "doc": "d.md", "locator": "KS § 1", "quote": "..."}]}
    threads = [threading.Thread(target=log.add, args=("upp" if i % 2 else "ner", f"fråga {i}", answer, "å" * 500))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = log.read()
    assert sorted(r["question"] for r in records) == sorted(f"fråga {i}" for i in range(20))
    assert records[0]["citations"] == [{"n": 1, "chunk_id": "c1", "doc": "d.md", "locator": "KS § 1"}]
    with pytest.raises(ValueError):
        log.add("kanske", "q", answer)


EVIL = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [a](javascript:alert(3)) **fet** &amp;'


def test_text_leaves_no_markup():
    out = text(EVIL)
    for bad in ("<script", "<img", "<a", "](", "**"):
        assert bad not in out
    assert out.count("&lt;") == 3 and "&amp;amp;" in out


def test_rendered_answer_escapes_document_text_and_links_markers():
    answer = {"answer": f"Nämnden beslutade {EVIL} [1].", "refused": False, "retrieved": [],
              "citations": [{"n": 1, "chunk_id": "c1", "doc": "evil<b>.md", "locator": "KS § 1 <i>x</i>",
                             "quote": f"Nämnden beslutade {EVIL}"}]}
    html = render_answer(answer, "t1")
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert 'href="#pg-t1-1"' in html and 'id="pg-t1-1"' in html
    assert "<mark>beslutade</mark>" in html  # a word the answer shares with its source is highlighted
    refused = render_answer({"answer": "Det framgår inte av dokumenten.", "refused": True, "citations": [],
                             "retrieved": [{"locator": "KS", "text": EVIL, "doc": "d.md", "id": "c2"}]}, "t2")
    assert "pg-refusal" in refused and "Närmast i dokumenten" in refused and "<script" not in refused


def test_a_message_is_escaped_once():
    """An error naming a file in quotes shows the quotes, not '&&#35;x27;': every character is escaped in one
    pass, whichever of HTML's or Markdown's it is."""
    import html

    for message in ("[Errno 30] Read-only file system: 'index/.lock'", 'a "b" & <c> #1 [x](y) *z*', "&#x27;"):
        shown = text(message)
        assert html.unescape(shown) == message and "&&" not in shown and "<c>" not in shown
        assert html.unescape(text(message, False)) == message
