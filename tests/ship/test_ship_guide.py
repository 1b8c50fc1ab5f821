"""The user guides say the same as the app: their caveat sections come from caveats.json."""
from __future__ import annotations

import importlib.util
from pathlib import Path

GUIDE_DIR = Path(__file__).resolve().parents[2] / "docs" / "guide"


def _builder():
    spec = importlib.util.spec_from_file_location("build_caveats", GUIDE_DIR / "build_caveats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_guides_caveat_sections_match_caveats_json():
    builder = _builder()
    for lang in ("vi", "en"):
        guide = (GUIDE_DIR / f"{lang}.md").read_text(encoding="utf-8")
        assert builder.render(guide, lang) == guide, (
            f"docs/guide/{lang}.md is out of date: run python docs/guide/build_caveats.py")


def test_guides_explain_every_caveat_rule_in_both_languages():
    from app.caveats import caveat_rules
    for lang in ("vi", "en"):
        guide = (GUIDE_DIR / f"{lang}.md").read_text(encoding="utf-8")
        missing = [rule for rule in caveat_rules() if f"({rule})" not in guide]
        assert not missing, (lang, missing)


def test_guides_link_only_to_files_that_exist():
    import re
    for lang in ("vi", "en"):
        guide = (GUIDE_DIR / f"{lang}.md").read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)#\s]+)\)", guide)
        local = [t for t in targets if not t.startswith(("http://", "https://"))]
        missing = [t for t in local if not (GUIDE_DIR / t).exists()]
        assert local and not missing, (lang, missing)
