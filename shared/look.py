"""One look for every page people see: the portal's pages, intake's web form and the survey
pages share this stylesheet (readable type, visible focus, contrast above WCAG AA)."""

from __future__ import annotations

from html import escape

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #111; background: #fff; margin: 0; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; gap: 1rem; align-items: center; border-bottom: 1px solid #555; }
nav ul { display: flex; gap: 1rem; list-style: none; padding: 0; }
a { color: #0b4ea2; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #c60; }
label { display: block; font-weight: 600; margin-top: .75rem; }
input, select, textarea { font: inherit; padding: .3rem; border: 1px solid #444; }
button { font: inherit; padding: .3rem .8rem; background: #0b4ea2; color: #fff; border: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem; border-bottom: 1px solid #999; }
.notice { background: #e8f0fe; border-left: 4px solid #0b4ea2; padding: .5rem; }
.problem, .errors { background: #fdecea; border-left: 4px solid #a00; padding: .5rem; }
.skip, .trap { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; }
"""
SITE = "Support"


def page(title: str, content: str, *, language: str = "en") -> str:
    """A whole page in the shared look: the site's header, `title` as its heading, and
    `content` (already escaped HTML) as its main part."""
    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {SITE}</title><style>{STYLE}</style></head>"
        f"<body><header><strong>{SITE}</strong></header>"
        f'<main id="content"><h1>{escape(title)}</h1>{content}</main></body></html>'
    )
