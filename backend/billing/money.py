"""Money helpers: integer fen in, formatted yuan out; Decimal rates rounded half-up to the fen once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def to_fen(yuan: Decimal | int | str) -> int:
    """Decimal yuan → integer fen, rounded half-up (the one rounding a line gets)."""
    return int((Decimal(yuan) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_yuan(text: str | Decimal | int | None) -> int:
    """A yuan amount typed by a person ('1,234.5', '¥12', '0.01') → fen. Raises ValueError with a readable
    message on anything else, including more than two decimals."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not raw:
        raise ValueError("Enter an amount.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError("Enter an amount in yuan, e.g. 128.50.") from None
    if not value.is_finite():
        raise ValueError("Enter an amount in yuan, e.g. 128.50.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("An amount has at most two decimals (fen).")
    return int(value * 100)


def yuan(fen: int | None, *, sign: bool = True) -> str:
    """12345 → '¥123.45' (negative: '-¥123.45')."""
    fen = int(fen or 0)
    text = f"{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
    return ("-" if fen < 0 else "") + ("¥" if sign else "") + text


def yuan_plain(fen: int | None) -> Decimal:
    """12345 → Decimal('123.45') for spreadsheets and JSON."""
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


def _four_digits(n: int) -> str:
    out = ""
    zero = False
    for i in range(3, -1, -1):
        d = n // (10**i) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[i]
    return out


def chinese_capital(fen: int) -> str:
    """大写金额 as printed on receipts: 123456 → '壹仟贰佰叁拾肆元伍角陆分', 10000 → '壹佰元整'."""
    if fen < 0:
        return "负" + chinese_capital(-fen)
    yuan_part, jiao, fen_digit = fen // 100, fen // 10 % 10, fen % 10
    text = ""
    if yuan_part:
        groups = []
        n = yuan_part
        while n:
            groups.append(n % 10000)
            n //= 10000
        pending_zero = False
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                pending_zero = bool(text)
                continue
            if text and (pending_zero or g < 1000):
                text += "零"
            pending_zero = False
            text += _four_digits(g) + _BIG_UNITS[idx]
        text += "元"
    if not jiao and not fen_digit:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return text
