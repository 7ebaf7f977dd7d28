"""The price of a booking or a series, computed in one place (pure: no database, no Flask).

Money is integer cents in EUR. Each booking (each occurrence of a series) is one line: its
steps are counted on the local calendar (``core.time.count_steps``), so a day on which the
clocks change is one day, not 23 or 25 hours. The price per step is the unit's base rate,
the cheapest rate whose length the booking reaches, or the member price if lower. VAT is
rounded once per line, half up, on the line's taxable net.

A funding programme pays a share of the net, capped per booking and by what it (and the
organisation's de-minimis allowance) has left:
- ``price_reduction`` (the lab's own reduction) lowers the taxable net: VAT on the reduced net;
- ``third_party`` (someone else pays part): VAT on the full net, the booker pays the rest.
"""
from dataclasses import dataclass, field
from typing import Optional

from core.time import count_steps

CURRENCY = "EUR"
PRICE_REDUCTION = "price_reduction"
THIRD_PARTY = "third_party"


def share_of(cents, basis_points):
    """``cents`` times ``basis_points`` / 10000, rounded half up (for cents >= 0)."""
    return (cents * basis_points + 5000) // 10000


def format_rate(basis_points):
    """A VAT rate in basis points as a percent string: 1900 -> "19.00"."""
    return f"{basis_points // 100}.{basis_points % 100:02d}"


@dataclass(frozen=True)
class PriceList:
    net_cents_per_step: int
    vat_rate_bp: int = 1900
    member_net_cents_per_step: Optional[int] = None
    # (from_steps, net_cents_per_step) pairs: cheaper rates from a length on.
    rates: tuple = ()
    free_cancellation_hours: Optional[int] = None
    cancellation_fee_bp: int = 0

    def rate_for(self, steps, member=False):
        """(net cents per step, name of the rate) for a booking of ``steps`` steps."""
        cents, name = self.net_cents_per_step, "base"
        for from_steps, rate_cents in sorted(self.rates):
            if steps >= from_steps and rate_cents < cents:
                cents, name = rate_cents, f"from_{from_steps}"
        if member and self.member_net_cents_per_step is not None \
                and self.member_net_cents_per_step < cents:
            cents, name = self.member_net_cents_per_step, "member"
        return cents, name


@dataclass(frozen=True)
class SubsidyOffer:
    """What a programme could pay: ``available_cents`` is the smaller of its remaining
    budget and the organisation's de-minimis headroom (None: no limit from outside)."""

    programme_id: int
    name: str
    kind: str
    share_bp: int
    cap_per_booking_cents: Optional[int] = None
    available_cents: Optional[int] = None


@dataclass
class Slot:
    starts_at: object
    ends_at: object
    granularity: str
    description: str = ""
    extra: dict = field(default_factory=dict)


def quote_line(price_list, slot, *, member=False, subsidy=None, available=None):
    """One booking's line. ``available`` limits the subsidy further (budget left)."""
    steps = count_steps(slot.starts_at, slot.ends_at, slot.granularity)
    per_step, rate_name = price_list.rate_for(steps, member)
    list_net = per_step * steps
    subsidy_cents = 0
    if subsidy is not None and list_net > 0:
        subsidy_cents = share_of(list_net, subsidy.share_bp)
        for limit in (subsidy.cap_per_booking_cents, available):
            if limit is not None:
                subsidy_cents = min(subsidy_cents, max(limit, 0))
    reduction = subsidy_cents if subsidy and subsidy.kind == PRICE_REDUCTION else 0
    net = list_net - reduction
    vat = share_of(net, price_list.vat_rate_bp)
    paid_by_third_party = subsidy_cents if subsidy and subsidy.kind == THIRD_PARTY else 0
    return {
        "description": slot.description,
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "steps": steps,
        "step": slot.granularity,
        "rate": rate_name,
        "unit_net_cents": per_step,
        "list_net_cents": list_net,
        "reduction_cents": reduction,
        "net_cents": net,
        "vat_rate_bp": price_list.vat_rate_bp,
        "vat_cents": vat,
        "gross_cents": net + vat,
        "subsidy_cents": subsidy_cents,
        "third_party_cents": paid_by_third_party,
        "payable_cents": net + vat - paid_by_third_party,
        **slot.extra,
    }


def quote(price_list, slots, *, member=False, subsidy=None, notices=()):
    """The quote of one booking (one slot) or a series (several): totals over the lines.

    The subsidy's ``available_cents`` is shared by all lines, in order.
    """
    lines, available = [], subsidy.available_cents if subsidy else None
    for slot in slots:
        line = quote_line(price_list, slot, member=member, subsidy=subsidy, available=available)
        if available is not None:
            available -= line["subsidy_cents"]
        lines.append(line)
    return totals(lines, subsidy=subsidy, price_list=price_list, notices=notices)


def totals(lines, *, subsidy=None, price_list=None, notices=()):
    net = sum(line["net_cents"] for line in lines)
    vat = sum(line["vat_cents"] for line in lines)
    subsidy_cents = sum(line["subsidy_cents"] for line in lines)
    rates = {line["vat_rate_bp"] for line in lines}
    result = {
        "net_cents": net,
        "vat_cents": vat,
        "gross_cents": net + vat,
        "subsidy_cents": subsidy_cents,
        "payable_cents": sum(line["payable_cents"] for line in lines),
        "vat_rate": format_rate(rates.pop()) if len(rates) == 1 else None,
        "currency": CURRENCY,
        "lines": lines,
        "subsidy": None,
        "notices": list(notices),
    }
    if subsidy is not None and subsidy_cents > 0:
        result["subsidy"] = {"programme_id": subsidy.programme_id, "programme": subsidy.name,
                             "kind": subsidy.kind, "share_bp": subsidy.share_bp}
    if price_list is not None:
        result["cancellation"] = {
            "free_until_hours_before": price_list.free_cancellation_hours,
            "fee_bp": price_list.cancellation_fee_bp,
        }
    return result


def cancellation_fee(price, starts_at, cancelled_at):
    """(fee net cents, fee VAT cents) for cancelling a booking quoted as ``price`` at
    ``cancelled_at``: free until the policy's hours before the start, then its share of the
    net (each line at its own VAT rate, rounded once per line)."""
    policy = (price or {}).get("cancellation") or {}
    hours, fee_bp = policy.get("free_until_hours_before"), policy.get("fee_bp") or 0
    if hours is None or fee_bp == 0:
        return 0, 0
    seconds_before = (starts_at - cancelled_at).total_seconds()
    if seconds_before >= hours * 3600:
        return 0, 0
    fee_net = fee_vat = 0
    for line in price.get("lines", []):
        net = share_of(line["net_cents"], fee_bp)
        fee_net += net
        fee_vat += share_of(net, line["vat_rate_bp"])
    return fee_net, fee_vat
