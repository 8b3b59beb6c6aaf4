"""The console's message catalogue: English text is the key (as with gettext), and each other
language maps it to its own words. A dict rather than Babel/gettext: the console has a few
hundred short labels, no plural forms worth a toolchain, and a dict needs no compile step, no
.mo files in the wheel and no extraction command; `tests/console/test_i18n.py` checks that
every text the templates and pages use has its Chinese entry. zh-CN is the default language."""

from __future__ import annotations

from api.console.messages_zh import ZH

DEFAULT = "zh-CN"
LANGUAGES = {"zh-CN": "中文", "en": "English"}
CATALOGUES: dict[str, dict[str, str]] = {"zh-CN": ZH, "en": {}}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def translator(lang: str):  # type: ignore[no-untyped-def]
    catalogue = CATALOGUES[language(lang)]

    def gettext(text: str, **values: object) -> str:
        message = catalogue.get(text, text)
        return message.format(**values) if values else message

    return gettext
