"""Header sort arrows the way a shop owner reads them: ▲ = smallest first, ▼ = largest first.

Qt draws AscendingOrder as a down arrow and DescendingOrder as an up arrow (an old Windows
habit), so the Results page showed "Run ▲" with the newest run on top (walk finding 15).
This style only swaps the arrow it is asked to draw; sorting itself is untouched."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOptionHeader

ARROW = {Qt.SortOrder.AscendingOrder: QStyleOptionHeader.SortIndicator.SortUp,
         Qt.SortOrder.DescendingOrder: QStyleOptionHeader.SortIndicator.SortDown}
_SWAP = {QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
         QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp}


class ReadableSortArrows(QProxyStyle):
    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        if (element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow
                and isinstance(option, QStyleOptionHeader) and option.sortIndicator in _SWAP):
            option = QStyleOptionHeader(option)
            option.sortIndicator = _SWAP[option.sortIndicator]
        super().drawPrimitive(element, option, painter, widget)


def readable_arrow(order: Qt.SortOrder) -> QStyleOptionHeader.SortIndicator:
    """The arrow ReadableSortArrows draws for `order` (what the owner sees)."""
    return ARROW[order]
