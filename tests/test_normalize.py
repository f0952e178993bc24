from rag.normalize import OCR_THRESHOLD, fold, ocr_noise

from conftest import CORPUS, KF8, KS16, KS_2025


def test_ocr_confusions_from_the_scan_are_repaired(repair):
    line = "Kommunfullmiktige beslutade den 26 september 2024 {189 att ge nimnder ansvar 1 det f6r fortydliganden"
    fixed = repair.repair_line(line)
    assert fixed == "Kommunfullmäktige beslutade den 26 september 2024 §189 att ge nämnder ansvar i det för förtydliganden"


def test_correct_swedish_and_names_are_left_alone(repair):
    line = "Magdalena Sundqvist (S) yrkar bifall till förslaget om kraftsamlande insatser i Kungsbacka."
    assert repair.repair_line(line) == line


def test_noise_separates_the_scan_from_clean_text(repair):
    noisy = ocr_noise((CORPUS / KF8).read_text(encoding="utf-8"), repair)
    clean = [ocr_noise((CORPUS / d).read_text(encoding="utf-8"), repair) for d in (KS16, KS_2025)]
    assert noisy >= OCR_THRESHOLD > max(clean)


def test_fold_matches_eval_format_rules():
    assert fold("Särskilt YTTRANDE för Östermalm") == "sarskilt yttrande for ostermalm"
