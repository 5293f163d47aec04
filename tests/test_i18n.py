"""Vietnamese output (issue 22): the catalogue is complete and compiled, and
``--lang vi`` output holds no English sentence and fits 80 columns.

"No English" is checked two ways: none of the catalogue's English messages
of two words or more appears in the output (the literal text between its
placeholders), and no common English function word stands in a line. What
the user types stays as typed and is left out of the check: recipe and file
names, field names, material and keyword values (vietnam, kurome, muro).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

import lacquersim as ls
from lacquersim import cli, i18n
from lacquersim.textout import width

babel = pytest.importorskip("babel", reason="the catalogue's tests need Babel (the test extra)")
from babel.messages.pofile import read_po  # noqa: E402

from lacquersim import catalogue  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "lacquersim"


@pytest.fixture(scope="module")
def po():
    with open(catalogue.po_file(), "rb") as fh:
        return read_po(fh, locale="vi", domain=i18n.DOMAIN)


def _id(m):
    return m.id if isinstance(m.id, str) else m.id[0]


def _strings(m):
    return list(m.string) if isinstance(m.string, (tuple, list)) else [m.string]


# -- the catalogue ---------------------------------------------------------------
def test_every_marked_message_has_a_vietnamese_translation(po):
    marked = catalogue.source_messages()
    assert len(marked) > 300
    missing = sorted(_id(m) if not isinstance(m, str) else m for m in marked
                     if po.get(m) is None)
    assert not missing, f"not in the catalogue (run python -m lacquersim.catalogue --update): {missing[:5]}"
    bad = [_id(po.get(m)) for m in marked
           if po.get(m).fuzzy or not all(s.strip() for s in _strings(po.get(m)))]
    assert not bad, f"untranslated or fuzzy: {bad[:5]}"


def test_the_catalogue_and_the_compiled_file_are_up_to_date():
    # the .po holds exactly the marked messages, the committed .mo is the .po compiled
    assert catalogue.update(check=True) == []


def test_the_mo_is_the_po_compiled(po):
    assert catalogue.compile_mo(po) == catalogue.po_file().with_suffix(".mo").read_bytes()


_PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}|%\([a-z_]+\)[sdr]|%[sdr]|%%")


@pytest.mark.parametrize("kind", ["placeholders", "nfc"])
def test_translations_keep_placeholders_and_are_nfc(po, kind):
    for m in po:
        if not m.id:
            continue
        for s in _strings(m):
            if kind == "placeholders":
                assert sorted(_PLACEHOLDER.findall(s)) == sorted(_PLACEHOLDER.findall(_id(m))), \
                    (_id(m), s)
                assert s.count("\n") == _id(m).count("\n"), _id(m)
            else:
                assert s == unicodedata.normalize("NFC", s), _id(m)


def test_no_formatted_string_is_translated():
    # _(f"...") would look up the formatted text, which no catalogue holds
    bad = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bN?_\(\s*f['\"]", line):
                bad.append(f"{path.name}:{n}")
    assert not bad


GLOSSARY_TERMS = {"set to touch": "khô se mặt", "tack free": "khô không dính",
                  "dry hard": "khô cứng", "dry through": "khô tận đáy", "refining": "đánh sơn",
                  "film": "lớp sơn", "drying": "hong khô", "coat": "lớp", "RH": "độ ẩm",
                  "Viet Tri": "Việt Trì"}


def test_the_catalogue_uses_the_glossarys_terms(po):
    text = (ROOT / "docs" / "glossary-vi.md").read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    for english, term in GLOSSARY_TERMS.items():
        assert po.get(english).string == term, english
        assert term in text, term


# -- choosing the language ------------------------------------------------------
def test_english_unless_asked(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n._from_environment() == "en"
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert i18n._from_environment() == "vi"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")  # decides before LANG
    assert i18n._from_environment() == "en"
    monkeypatch.setenv("LANGUAGE", "vi:en")  # decides before all
    assert i18n._from_environment() == "vi"


def test_the_python_api_sets_the_language():
    with i18n.using("en"):
        ls.set_language("vi")
        assert ls.get_language() == "vi"
        assert ls.model.stages.stage_label("tack_free") == "khô không dính"
        assert ls.load_recipe("vietnam-raw").title.startswith("Sơn ta")
        ls.set_language("en")
        assert ls.model.stages.stage_label("tack_free") == "tack free"
        assert ls.load_recipe("vietnam-raw").title == "Vietnamese laccol, raw sap"
        with pytest.raises(ValueError, match="en, vi"):
            ls.set_language("fr")


def test_the_command_line_leaves_the_callers_language_alone(capsys):
    with i18n.using("en"):
        assert cli.main(["--lang", "vi", "schema"]) == 0
        assert i18n.get_language() == "en"
    assert "bắt buộc" in capsys.readouterr().out


def test_every_bundled_recipe_has_a_vietnamese_title():
    df = ls.bundled_recipes()
    assert (df.title_vi.str.len() > 0).all()
    for t in df.title_vi:
        assert t == unicodedata.normalize("NFC", t)
    assert df.set_index("name").title_vi["cashew-workshop"].startswith("Sơn điều")


def test_name_vi_is_validated_like_name():
    d = {"name": "x", "name_vi": 5, "material": "vietnam", "film": {"thickness_um": 50},
         "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 24}}
    with pytest.raises(ls.RecipeError, match="name_vi"):
        ls.Recipe.from_dict(d)
    d["name_vi"] = "Sơn ta"
    assert ls.Recipe.from_dict(d).to_dict()["name_vi"] == "Sơn ta"


# -- the output -------------------------------------------------------------------
# what a line may hold in English because the user types it or it names a thing
_TYPED = re.compile(r"(\S*[/\\]\S*|'[^']*'|\b[a-z0-9]+(?:[-_.][a-z0-9]+)+\b|--[a-z-]+|"
                    r"\b(?:vietnam|cashew|japan|china|myanmar|kurome|nayashi|muro|oven|outdoor|"
                    r"laccase|catechol|urushiol|urushi|thitsiol|RECIPE|NAME|STUDY|VALUE)\b)")
# ("in", "to" and "an" are Vietnamese words too: print, big, safe)
_FUNCTION_WORDS = re.compile(r"\b(the|of|and|with|for|is|are|not|at|from|by|or|on|this|that|"
                             r"which|into|than|its|was|were)\b", re.IGNORECASE)


def _english_messages(po) -> list[str]:
    """The catalogue's English texts of two words or more (between placeholders)
    whose translation differs."""
    out = set()
    for m in po:
        if not m.id or any(f == "argparse.py" for f, _n in m.locations):
            continue
        for s in ([m.id] if isinstance(m.id, str) else list(m.id)):
            if s in _strings(m):
                continue
            for chunk in _PLACEHOLDER.split(s):
                chunk = chunk.strip(" ,;:()*=-–")
                if len(re.findall(r"[A-Za-z]{2,}", chunk)) >= 2:
                    out.add(chunk)
    return sorted(out, key=len, reverse=True)


@pytest.fixture(autouse=True)
def _back_home():
    here = os.getcwd()
    yield
    os.chdir(here)


def _run(capsys, monkeypatch, args, code=0):
    monkeypatch.setenv("COLUMNS", "80")
    rc = cli.main(["--lang", "vi"] + args)
    out, err = capsys.readouterr()
    assert rc == code, err
    return unicodedata.normalize("NFC", out + err)


def _bad_recipe(tmp_path):
    p = tmp_path / "bad.yaml"  # run from tmp_path: a short name, as a user types it
    p.write_text("name: thử\nmaterial: vietnam\nfilm: {thickness_um: 500}\n"
                 "drying: {temperature_c: 25, rh_percent: 80, hours: 24}\n", encoding="utf-8")
    os.chdir(tmp_path)
    return p.name


CASES = {
    "run": (["run", "vietnam-raw"], 0),
    "run-not-reached": (["run", "vietnam-raw", "--rh", "40", "--hours", "24", "--no-band"], 0),
    "run-coats": (["run", "vietnam-kneaded-3-coats", "--no-band", "--cells", "20"], 0),
    "run-workshop": (["run", "vietnam-kurome-phu-tho-july", "--no-band", "--cells", "20"], 0),
    "compare": (["compare", "vietnam-raw", "vietnam-kneaded-60", "cashew-workshop",
                 "--temperature", "28", "--rh", "75"], 0),
    "recipes": (["recipes"], 0),
    "refine": (["refine", "vietnam-kneaded-45", "--steps"], 0),
    "refine-cashew": (["refine", "cashew-workshop"], 0),
    "schema": (["schema"], 0),
    "help": (["run", "--help"], 0),
    "bad-recipe": (["run", "BAD"], 2),
    "unknown-recipe": (["run", "vietnam-rw"], 2),
    "bad-option": (["run", "vietnam-raw", "--cells", "1"], 2),
    "bad-rh": (["run", "vietnam-raw", "--rh", "120"], 2),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_vietnamese_output_has_no_english_sentence_and_fits_80_columns(case, po, capsys,
                                                                       monkeypatch, tmp_path):
    args, code = CASES[case]
    out = _run(capsys, monkeypatch, [_bad_recipe(tmp_path) if a == "BAD" else a for a in args],
               code)
    assert out.strip()
    for english in _english_messages(po):
        assert english not in out, f"English message {english!r} in:\n{out}"
    for line in out.splitlines():
        assert width(line) <= 80, line
        text = _TYPED.sub(" ", line)
        found = _FUNCTION_WORDS.search(text)
        assert not found, f"English word {found.group(0)!r} in {line!r}"


def test_vietnamese_errors_name_the_field_and_file(capsys, monkeypatch, tmp_path):
    out = _run(capsys, monkeypatch, ["run", _bad_recipe(tmp_path)], 2)
    assert out.startswith("lacquersim: lỗi: ")
    out = " ".join(line.strip() for line in out.splitlines())  # wrapped at 80 columns
    assert "dòng 3" in out and "trường 'film.thickness_um'" in out and "5 đến 200 µm" in out


@pytest.mark.parametrize("case", ["run", "compare", "recipes", "refine", "schema", "bad-recipe"])
def test_english_output_is_the_default_and_unchanged_by_lang_en(case, capsys, monkeypatch,
                                                                 tmp_path):
    args, code = CASES[case]
    args = [_bad_recipe(tmp_path) if a == "BAD" else a for a in args]
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(args) == code
    default = capsys.readouterr()
    assert cli.main(["--lang", "en"] + args) == code
    assert capsys.readouterr() == default
    text = default.out + default.err
    assert not re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉĩọỏốồổỗộớờởỡợụủứừửữựỳỷỹỵ]", text)
    if case == "run":
        assert "Drying stages (hours after application)" in text and "tack free" in text


def _figure_texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


@pytest.mark.parametrize("kind", ["run", "build", "compare"])
def test_plot_labels_in_vietnamese(kind, po):
    import matplotlib.pyplot as plt

    from lacquersim.sim.figures import compare_figure

    with i18n.using("vi"):
        if kind == "compare":
            fig = compare_figure([ls.simulate(r, n_cells=20)
                                  for r in ("vietnam-raw", "cashew-workshop")])
        else:
            name = "vietnam-raw" if kind == "run" else "vietnam-kneaded-3-coats"
            fig = ls.simulate(name, n_cells=20).plot()
    try:
        texts = _figure_texts(fig)
    finally:
        plt.close(fig)
    joined = "\n".join(unicodedata.normalize("NFC", t) for t in texts)
    assert "khô se mặt" in joined and "Sơn" in joined
    for english in _english_messages(po):
        assert english not in joined, english
    for t in texts:
        found = _FUNCTION_WORDS.search(_TYPED.sub(" ", t))
        assert not found, f"English word {found.group(0)!r} in {t!r}"


def _check_vietnamese(out: str, po) -> None:
    """No English message or function word; 80 columns (a line holding only a
    file's path excepted, as in English)."""
    for english in _english_messages(po):
        assert english not in out, f"English message {english!r} in:\n{out}"
    for line in out.splitlines():
        if len(line.strip().strip("()").split()) > 1:
            assert width(line) <= 80, line
        found = _FUNCTION_WORDS.search(_TYPED.sub(" ", line))
        assert not found, f"English word {found.group(0)!r} in {line!r}"


@pytest.mark.parametrize("name", sorted(ls.bundled_recipes()["name"]))
def test_every_bundled_recipe_in_vietnamese(name, po, capsys, monkeypatch):
    _check_vietnamese(_run(capsys, monkeypatch, ["run", name, "--cells", "8", "--no-band"]), po)
    _check_vietnamese(_run(capsys, monkeypatch, ["refine", name, "--steps"]), po)


def test_compare_of_every_bundled_recipe_in_vietnamese(po, capsys, monkeypatch):
    names = sorted(ls.bundled_recipes()["name"])
    _check_vietnamese(_run(capsys, monkeypatch, ["compare", *names, "--cells", "8"]), po)


@pytest.mark.parametrize("prices", ["{electricity_vnd_per_kwh: -5}",
                                    "{electricity_vnd_per_kwh: {source: x}}",
                                    "{electricity_vnd_per_kwh: {value: 1987, source: 5}}",
                                    "{electricity_vnd_per_kwh: x}", "{nope: 1}", "[1, 2]"])
def test_a_bad_prices_section_is_reported_in_vietnamese(prices, po, capsys, monkeypatch,
                                                        tmp_path):
    import yaml

    space = Path(__file__).resolve().parents[1] / "experiments" / "optimise" / "phu-tho-laccol.yaml"
    d = yaml.safe_load(space.read_text(encoding="utf-8"))
    d["prices"] = yaml.safe_load(prices)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    os.chdir(tmp_path)
    out = _run(capsys, monkeypatch, ["optimise", "s.yaml", "--budget", "16", "--out", "o"], 2)
    assert out.startswith("lacquersim: lỗi: ") and "prices" in out
    _check_vietnamese(out, po)
    assert not (tmp_path / "o").exists()
