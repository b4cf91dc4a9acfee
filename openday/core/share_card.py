"""The picture a chat app shows beside a shared link (`og:image`), drawn from text.

An open day or activity without a photo still gets a card: its title, its date and a
line under them (the organiser, or the venue), on the site's colours, 1200×630 pixels as
chat apps and social sites expect. Chinese text is set in Noto Sans CJK (Debian's
fonts-noto-cjk), which the PDF door lists use too.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
BACKGROUND = (11, 83, 148)  # the site's primary blue
BAND = (192, 57, 43)  # the accent red of the main venue
TEXT = (255, 255, 255)
SOFT_TEXT = (214, 228, 242)

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
# Face 2 of Noto's collections is Simplified Chinese (SC).
FONT_INDEX_SC = 2


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    try:
        return ImageFont.truetype(str(path), size, index=FONT_INDEX_SC)
    except OSError:
        # Without the CJK fonts the card still draws (Pillow's own font has no Chinese).
        return ImageFont.load_default(size)


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list:
    """Lines of `text` no wider than `width`, broken between any two characters (Chinese
    has no spaces), the last one ending in an ellipsis when the text does not fit."""
    lines: list[str] = []
    line = ""
    for character in text.strip():
        if draw.textlength(line + character, font=font) <= width:
            line += character
            continue
        lines.append(line)
        line = character.lstrip()
        if len(lines) == max_lines:
            break
    else:
        if line:
            lines.append(line)
        return lines
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def share_card_png(*, title: str, when: str, subtitle: str = "", label: str = "") -> bytes:
    """A PNG card with `label` (small, above), `title` (large, up to three lines),
    `when` and `subtitle` (below)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, HEIGHT - 24, WIDTH, HEIGHT], fill=BAND)
    text_width = WIDTH - 2 * MARGIN
    y = MARGIN
    if label:
        draw.text((MARGIN, y), label, font=_font(False, 34), fill=SOFT_TEXT)
        y += 70
    title_font = _font(True, 68)
    for line in _wrapped(draw, title, title_font, text_width, max_lines=3):
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += 92
    y += 24
    draw.text((MARGIN, y), when, font=_font(True, 42), fill=TEXT)
    y += 64
    if subtitle:
        subtitle_font = _font(False, 36)
        for line in _wrapped(draw, subtitle, subtitle_font, text_width, max_lines=1):
            draw.text((MARGIN, y), line, font=subtitle_font, fill=SOFT_TEXT)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
