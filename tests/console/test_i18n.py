"""Every text the console's templates and pages show has its Chinese (zh-CN, the default)
entry, and each translation keeps the same {placeholders} as its English key."""

from __future__ import annotations

import re
from pathlib import Path

from api.console.messages_zh import ZH

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "api" / "templates" / "console").glob("*.html")),
    *sorted((ROOT / "api" / "console").glob("*.py")),
]
TEXT = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def used_texts() -> set[str]:
    found = set()
    for source in SOURCES:
        for match in TEXT.finditer(source.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def test_every_console_text_has_a_chinese_translation():
    texts = used_texts()
    assert len(texts) > 150
    missing = sorted(t for t in texts if t not in ZH)
    assert missing == []


def test_translations_keep_their_placeholders():
    for english, chinese in ZH.items():
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(chinese)), english
