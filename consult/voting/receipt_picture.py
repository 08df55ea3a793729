"""A vote receipt as a picture (PNG) a voter can keep on her phone.

Latin letters and digits only, in Pillow's built-in font, so the picture looks the same
on every server whatever fonts it has: the code in groups of four, its digits-only form,
the round's number and where to check it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 720, 400


def receipt_png(code: str, digits: str, round_id: int, check_path: str) -> bytes:
    """``code`` as ``ABCD-EFGH-JKLM-NPQR`` and ``digits`` as five groups of five."""
    picture = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(picture)
    small, big = ImageFont.load_default(size=26), ImageFont.load_default(size=56)
    draw.rectangle((8, 8, WIDTH - 9, HEIGHT - 9), outline=0, width=4)
    draw.text((40, 36), f"Vote receipt - round {round_id}", font=small, fill=0)
    draw.text((40, 100), code, font=big, fill=0)
    draw.text((40, 200), "Digits:", font=small, fill=0)
    draw.text((40, 236), digits, font=ImageFont.load_default(size=40), fill=0)
    draw.text((40, 320), f"Check it at {check_path}", font=small, fill=0)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
