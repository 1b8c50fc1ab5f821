"""The contract's order identity (contract/records.py, Order.discount/fees), for the
connectors' order tests: Σ(line price × quantity − line discount) − discount + fees."""
from __future__ import annotations

from decimal import Decimal

from contract.records import Order


def parts_total(order: Order) -> Decimal:
    lines = sum((line.price * line.quantity - line.discount for line in order.lines), Decimal(0))
    return lines - order.discount + order.fees
