"""The App's own catalog: products (create/edit, push to the POS), orders (status changes,
synced orders locked), customers, news, categories, branches."""
from __future__ import annotations

import dataclasses
import html
from decimal import InvalidOperation
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMessageBox, QPlainTextEdit, QProgressBar, QPushButton,
                               QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from contract.records import ORDER_STATUS_VI, Entity, OrderStatus, Product, Variant
from app.store import models as m
from app.sync.written_amounts import AmountKind, AmountRefused, read_amount
from contract.connector import StatusChange
from ui.controllers.background import BackgroundJobs
from ui.i18n import pick, tr
from ui.models.catalog_model import CatalogModel
from ui.models.conflicts_model import plain_text
from ui.vietnamese import money_text, parse_money, sorted_vietnamese
from ui.widgets.variants_editor import VariantsEditor
from ui.wizard.caveat_notes import caveat_note, caveat_title

ONE_CATEGORY_RULE = "SAPO-08"


def needs_one_category(platform) -> bool:
    """Platforms whose product push requires exactly one category (SAPO-08)."""
    cap = platform.capability(Entity.PRODUCT)
    return ONE_CATEGORY_RULE in cap.caveats


def push_problem(platform, record: Product) -> str:
    """Why this App product cannot be pushed, in the current language, or ''."""
    cap = platform.capability(Entity.PRODUCT)
    if cap.validate_push is not None:
        error = cap.validate_push(record)
        if error is not None:
            return pick(error.message_vi, error.message_en)
    if needs_one_category(platform) and len(record.category_keys) != 1:
        return tr("product.one_category")
    return ""


class ProductDialog(QDialog):
    """Create or edit an App product. For Sapo the category is a single choice (SAPO-08)."""

    def __init__(self, catalog, platform, record: Product | None = None, parent=None) -> None:
        super().__init__(parent)
        self.catalog, self.platform, self.record = catalog, platform, record
        self.one_category = platform is not None and needs_one_category(platform)
        self.setWindowTitle(tr("product.title_edit" if record else "product.title_new"))
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit(record.name if record else "")
        self.name.setObjectName("productName")
        variant = record.variants[0] if record and record.variants else Variant(key="")
        self.sku = QLineEdit(variant.sku)
        self.sku.setObjectName("productSku")
        self.barcode = QLineEdit(variant.barcode)
        self.price = QLineEdit(money_text(variant.price).removesuffix(" ₫") if record else "")
        self.price.setObjectName("productPrice")
        categories = sorted_vietnamese([(row.app_id, row.name) for row in
                                        catalog.list(Entity.CATEGORY, limit=2000)],
                                       key=lambda pair: pair[1])
        chosen = set(record.category_keys) if record else set()
        if self.one_category:
            self.categories = QComboBox()
            self.categories.addItem("—", "")
            for app_id, name in categories:
                self.categories.addItem(name, app_id)
            if len(chosen) == 1:
                self.categories.setCurrentIndex(max(self.categories.findData(next(iter(chosen))), 0))
        else:
            self.categories = QListWidget()
            self.categories.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
            self.categories.setMaximumHeight(120)
            for app_id, name in categories:
                item = QListWidgetItem(name)
                item.setData(Qt.ItemDataRole.UserRole, app_id)
                self.categories.addItem(item)
                item.setSelected(app_id in chosen)
        self.categories.setObjectName("productCategories")
        # The POS keeps descriptions as HTML: the owner reads and edits the words, and an
        # unedited description goes back with the POS's HTML untouched (walk finding 12).
        self._description_html = record.description if record else ""
        self._description_shown = plain_text(self._description_html)
        self.description = QPlainTextEdit(self._description_shown)
        self.description.setMaximumHeight(90)
        self.description.setObjectName("productDescription")
        # Tab typed a tab character here, so a keyboard user could not leave the box.
        self.description.setTabChangesFocus(True)
        self.visible = QCheckBox(tr("product.visible"))
        self.visible.setChecked(record.visible if record else True)
        for key, widget in (("product.name", self.name), ("product.sku", self.sku),
                            ("product.barcode", self.barcode), ("product.price", self.price),
                            ("product.categories", self.categories),
                            ("product.description", self.description)):
            label = QLabel(tr(key))
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.visible)
        layout.addLayout(form)
        self._add_variants_editor(layout, record)
        if self.one_category:
            layout.addWidget(caveat_note(ONE_CATEGORY_RULE))
        self.error = QLabel("")
        self.error.setObjectName("productError")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.saved: Product | None = None

    def chosen_categories(self) -> tuple[str, ...]:
        if isinstance(self.categories, QComboBox):
            value = self.categories.currentData()
            return (value,) if value else ()
        return tuple(item.data(Qt.ItemDataRole.UserRole)
                     for item in self.categories.selectedItems())

    def build(self) -> Product | None:
        name = self.name.text().strip()
        if not name:
            self.error.setText(tr("product.need_name"))
            return None
        try:
            # The same reader as catalog import: "25.000" is 25,000 đ, "25,5" is refused.
            price = read_amount(self.price.text().strip() or "0", AmountKind.MONEY)
        except AmountRefused as refused:
            self.error.setText(pick(refused.message_vi, refused.message_en))
            return None
        categories = self.chosen_categories()
        if self.one_category and len(categories) != 1:
            self.error.setText(tr("product.one_category"))
            return None
        base = self.record or Product(key="", name=name)
        first = base.variants[0] if base.variants else Variant(key="")
        variant = dataclasses.replace(first, sku=self.sku.text().strip(),
                                      barcode=self.barcode.text().strip(), price=price)
        try:
            variants = self.variants_editor.variants(variant)
        except AmountRefused as refused:      # a variant's price, with the accepted forms
            self.error.setText(pick(refused.message_vi, refused.message_en))
            return None
        except (InvalidOperation, ValueError):
            self.error.setText(tr("variants.bad_number"))
            return None
        return dataclasses.replace(base, name=name, description=self.description_value(),
                                   category_keys=categories, variants=variants,
                                   visible=self.visible.isChecked())

    def description_value(self) -> str:
        """The description to store: the original HTML when the words were not edited; edited
        words of an HTML description become simple paragraphs, so the POS still gets HTML."""
        edited = self.description.toPlainText()
        if edited == self._description_shown:
            return self._description_html
        if self._description_html != self._description_shown:
            return "".join(f"<p>{html.escape(line)}</p>" for line in edited.splitlines()
                           if line.strip())
        return edited

    # -- variants and stock per branch (issue 20 pt 9) -------------------------------------------
    def _add_variants_editor(self, layout, record: Product | None) -> None:
        branches = [(row.app_id, row.name) for row in
                    self.catalog.list(Entity.BRANCH, limit=50)]
        label = QLabel(tr("variants.title"))
        label.setObjectName("variantsTitle")
        layout.addWidget(label)
        # Variant prices are read like the form's own price and every import (issue 18 §2):
        # "25.000" is 25,000 đ, "25,5" is refused, never taken as 25.5 đ.
        self.variants_editor = VariantsEditor(
            branches, record.variants if record else (),
            read_price=lambda typed: read_amount(typed, AmountKind.MONEY))
        layout.addWidget(self.variants_editor)
        for field in (self.sku, self.barcode, self.price):
            field.textChanged.connect(self._mirror_first_variant)
        self._mirror_first_variant()

    def _mirror_first_variant(self) -> None:
        self.variants_editor.mirror_first(self.sku.text(), self.barcode.text(), self.price.text())

    def accept(self) -> None:
        product = self.build()
        if product is None:
            return
        origin = "app" if self.record is None else (self.catalog.origin(Entity.PRODUCT,
                                                                        product.key) or "app")
        self.saved = self.catalog.put(Entity.PRODUCT, product, origin=origin)
        super().accept()


def push_line(product: Product) -> str:
    """'Bánh mì — 25.000 ₫ (P000123)': a preview line with the price as the shop writes it."""
    price = product.variants[0].price if product.variants else None
    return f"{product.name} — {money_text(price)} ({product.key})" if price is not None \
        else f"{product.name} ({product.key})"


class PushDialog(QDialog):
    """Preview of a manual push: what will go, what is blocked and why (SAPO-08)."""

    def __init__(self, platform, ready: list[Product], blocked: list[tuple[Product, str]],
                 parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("appdata.push"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        name = pick(platform.name_vi, platform.name_en)
        if ready:
            layout.addWidget(QLabel(tr("appdata.push_preview", n=len(ready), platform=name)))
            ready_list = QListWidget()
            ready_list.setObjectName("pushReady")
            for product in ready:
                ready_list.addItem(push_line(product))
            layout.addWidget(ready_list)
        else:
            layout.addWidget(QLabel(tr("appdata.push_nothing")))
        if blocked:
            title = QLabel(tr("appdata.push_blocked", n=len(blocked)))
            title.setStyleSheet("color: #c62828; font-weight: bold;")
            layout.addWidget(title)
            blocked_list = QListWidget()
            blocked_list.setObjectName("pushBlocked")
            blocked_list.setWordWrap(True)
            for product, reason in blocked:
                blocked_list.addItem(f"{product.name} ({product.key}): {reason}")
            layout.addWidget(blocked_list)
            layout.addWidget(caveat_note(ONE_CATEGORY_RULE))
        buttons = QDialogButtonBox()
        self.go = buttons.addButton(tr("appdata.push_go", n=len(ready)),
                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setEnabled(bool(ready))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ready = ready


class OrderStatusDialog(QDialog):
    def __init__(self, current: OrderStatus, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("appdata.order_status"))
        layout = QVBoxLayout(self)
        self.combo = QComboBox()
        for status in OrderStatus:
            self.combo.addItem(pick(ORDER_STATUS_VI[status], status.value.replace("_", " ")),
                               status.value)
        self.combo.setCurrentIndex(self.combo.findData(current.value))
        layout.addWidget(self.combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def status(self) -> OrderStatus:
        return OrderStatus(self.combo.currentData())


class EntityTab(QWidget):
    def __init__(self, catalog, entity: str, parent=None) -> None:
        super().__init__(parent)
        self.entity = entity
        self.model = CatalogModel(catalog, entity, self)
        layout = QVBoxLayout(self)
        self.toolbar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("appdata.search"))
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName(f"search_{entity}")
        self.toolbar.addWidget(self.search, 1)
        layout.addLayout(self.toolbar)
        self.table = QTableView()
        self.table.setObjectName(f"table_{entity}")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 280)
        for column in range(1, 5):
            self.table.setColumnWidth(column, 120)
        # Origin holds a POS name ("Sapo Web / Sapo Omni"): wrapped in a 120 px column its
        # second line was cut off by the row height. One line, wide enough, "…" if ever longer.
        self.table.setWordWrap(False)
        origin = self.model.COLUMNS.index("origin") if "origin" in self.model.COLUMNS else -1
        if origin >= 0:
            self.table.setColumnWidth(origin, max(
                120, self.table.fontMetrics().horizontalAdvance("Sapo Web / Sapo Omni") + 32))
        price = self.model.COLUMNS.index("price") if "price" in self.model.COLUMNS else -1
        if price >= 0:
            # A price range ("25.000–229.000 ₫") was cut to "25.000–229.0…" in 120 px.
            self.table.setColumnWidth(price, max(
                120, self.table.fontMetrics().horizontalAdvance("999.000–9.999.000 ₫") + 24))
        layout.addWidget(self.table, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setObjectName(f"note_{entity}")
        layout.addWidget(self.note)
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(250)
        timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: timer.start())

    def reload(self) -> None:
        self.model.search = self.search.text().strip()
        self.model.reload()

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.line(row).app_id for row in rows]


class AppDataPage(QWidget):
    push_requested = Signal(list)              # App product ids
    message = Signal(str)
    import_finished = Signal(bool, str)        # imported?, the text shown

    ENTITIES = (("product", "appdata.products"), ("category", "appdata.categories"),
                ("order", "appdata.orders"), ("customer", "appdata.customers"),
                ("news", "appdata.news"), ("branch", "appdata.branches"))

    def __init__(self, services, parent=None, jobs: BackgroundJobs | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.catalog = services.catalog()
        self.profile = None
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("appDataTabs")
        self.entity_tabs: dict[str, EntityTab] = {}
        for entity, key in self.ENTITIES:
            tab = EntityTab(self.catalog, entity)
            self.entity_tabs[entity] = tab
            self.tabs.addTab(tab, tr(key))
        layout.addWidget(self.tabs)
        products = self.entity_tabs["product"]
        self.new_button = QPushButton(tr("appdata.new_product"))
        self.new_button.setObjectName("newProduct")
        self.edit_button = QPushButton(tr("appdata.edit"))
        self.push_button = QPushButton(tr("appdata.push"))
        self.push_button.setObjectName("pushProducts")
        self.new_button.clicked.connect(lambda: self.open_product(None))
        self.edit_button.clicked.connect(self._edit_selected)
        self.push_button.clicked.connect(self.prepare_push)
        products.table.doubleClicked.connect(lambda _i: self._edit_selected())
        self.import_button = QPushButton(tr("appdata.import"))
        self.import_button.setObjectName("importCatalog")
        self.import_button.clicked.connect(self._choose_import)
        self.template_button = QPushButton(tr("appdata.template"))
        self.template_button.setObjectName("catalogTemplate")
        self.template_button.clicked.connect(self._choose_template)
        for button in (self.new_button, self.edit_button, self.push_button, self.import_button,
                       self.template_button):
            products.toolbar.addWidget(button)
        orders = self.entity_tabs["order"]
        self.status_button = QPushButton(tr("appdata.order_status"))
        self.status_button.setObjectName("orderStatus")
        self.status_button.clicked.connect(self.change_order_status)
        orders.toolbar.addWidget(self.status_button)
        self.tabs.currentChanged.connect(lambda _i: self.current_tab().reload())
        self.import_progress = QProgressBar()
        self.import_progress.setObjectName("importProgress")
        self.import_progress.setRange(0, 0)             # busy: the length is not known
        self.import_status = QLabel("")
        self.import_status.setObjectName("importStatus")
        self.import_status.setWordWrap(True)
        layout.addWidget(self.import_status)
        layout.addWidget(self.import_progress)
        self.import_status.hide()
        self.import_progress.hide()
        self.jobs = jobs if jobs is not None else BackgroundJobs(self)
        self._import_job = None

    def current_tab(self) -> EntityTab:
        return self.tabs.currentWidget()

    def set_profile(self, profile) -> None:
        self.profile = profile
        platform = self.services.platform(profile.platform) if profile else None
        for tab in self.entity_tabs.values():
            tab.model.profile_id = profile.id if profile else None
        self.push_button.setEnabled(platform is not None and
                                    platform.capability(Entity.PRODUCT).push.value != "none")
        orders = self.entity_tabs["order"]
        rule = self._order_lock_rule(platform)
        orders.note.setText(tr("appdata.order_locked", reason=f"{caveat_title(rule)} ({rule})")
                            if rule else "")
        self.refresh()

    def refresh(self) -> None:
        self.current_tab().reload()

    def _platform(self):
        return self.services.platform(self.profile.platform) if self.profile else None

    # -- products -------------------------------------------------------------------------------
    def open_product(self, app_id: str | None) -> ProductDialog:
        record = self.catalog.get(Entity.PRODUCT, app_id) if app_id else None
        dialog = ProductDialog(self.catalog, self._platform(), record, self)
        dialog.finished.connect(lambda result: result and self.entity_tabs["product"].reload())
        dialog.open()
        return dialog

    def _edit_selected(self) -> None:
        ids = self.entity_tabs["product"].selected_ids()
        if ids:
            self.open_product(ids[0])

    # -- files (catalog import, Excel template) -------------------------------------------------
    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("appdata.import"), "",
                                              tr("appdata.import_filter"))
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> None:
        """All or nothing, as `shopsync catalog import`, in a background job: a 100,000-row
        file takes many seconds to check and write, and the window must keep answering
        meanwhile. `import_finished(imported?, text shown)` is emitted when it is done."""
        if self.importing():
            return
        from app.sync.catalog_files import import_file
        catalog = self.catalog

        async def run():
            return import_file(catalog, path)

        self._set_importing(path)
        self._import_job = self.jobs.start(run, self._imported, self._import_refused)

    def importing(self) -> bool:
        return self._import_job is not None

    def _set_importing(self, path: Path | None) -> None:
        for button in self._editing_buttons():
            button.setEnabled(path is None)
        if path is None:
            self.set_profile(self.profile)          # buttons back as the platform allows
        self.import_status.setText(tr("appdata.importing", name=path.name) if path else "")
        self.import_status.setVisible(path is not None)
        self.import_progress.setVisible(path is not None)

    def _editing_buttons(self) -> tuple[QPushButton, ...]:
        # The import holds the catalog's write transaction until it ends: an edit saved
        # meanwhile would wait on it and fail, so the doors that write stay shut.
        return (self.import_button, self.new_button, self.edit_button, self.push_button,
                self.status_button)

    def _imported(self, report) -> None:
        self._import_job = None
        self._set_importing(None)
        summary = ", ".join(f"{n} {entity}" for entity, n in report.counts.items())
        text = "\n".join([pick(vi, en) for vi, en in report.notes]
                         + [tr("appdata.import_done", summary=summary)])
        self.message.emit(text)
        self.refresh()
        self.import_finished.emit(True, text)

    def _import_refused(self, exc: BaseException) -> None:
        from app.sync.catalog_files import ImportRefused
        self._import_job = None
        self._set_importing(None)
        if isinstance(exc, ImportRefused):
            lang = "en" if pick("vi", "en") == "en" else "vi"
            lines = [problem.line(lang) for problem in exc.errors[:50]]
            if len(exc.errors) > 50:
                lines.append(f"… +{len(exc.errors) - 50}")
            text = tr("appdata.import_refused") + "\n\n" + "\n".join(lines)
        else:
            # A file that vanished, a locked database: the transaction was rolled back.
            text = tr("appdata.import_failed", detail=type(exc).__name__)
        box = QMessageBox(QMessageBox.Icon.Warning, tr("appdata.import"), text,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("importRefused")
        box.open()
        self.import_finished.emit(False, text)

    def _choose_template(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("appdata.template"), "mau-nhap-lieu.xlsx",
                                              "Excel (*.xlsx)")
        if path:
            self.write_template(Path(path))

    def write_template(self, path: Path) -> Path:
        from app.sync.catalog_excel import write_template
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        write_template(path)
        self.message.emit(tr("appdata.template_written", path=str(path)))
        return path

    def push_plan(self, app_ids: list[str]) -> tuple[list[Product], list[tuple[Product, str]]]:
        """Split the chosen products into ready and blocked (with the reason), before any
        request (the engine checks again when pushing). Two unlinked products with one SKU
        are both blocked, each naming the other (COM-02)."""
        from app.sync.push_screening import shared_code_blocks
        platform = self._platform()
        ready, blocked = [], []
        records = [r for r in (self.catalog.get(Entity.PRODUCT, a) for a in app_ids) if r]
        shared = shared_code_blocks(self.catalog, records, self._is_linked)
        for record in records:
            if record.key in shared:
                block = shared[record.key]
                blocked.append((record, pick(block.message_vi, block.message_en)))
                continue
            problem = push_problem(platform, record)
            if problem:
                blocked.append((record, problem))
            else:
                ready.append(record)
        return ready, blocked

    def _is_linked(self, app_id: str) -> bool:
        return self.profile is not None and m.Link.select().where(
            (m.Link.profile == self.profile.id) & (m.Link.entity == "product")
            & (m.Link.app_id == app_id)).exists()

    def prepare_push(self) -> PushDialog | None:
        ids = self.entity_tabs["product"].selected_ids()
        if not ids:
            self.message.emit(tr("appdata.select_first"))
            return None
        ready, blocked = self.push_plan(ids)
        dialog = PushDialog(self._platform(), ready, blocked, self)
        dialog.accepted.connect(lambda: self.push_requested.emit([p.key for p in dialog.ready]))
        dialog.open()
        return dialog

    # -- orders ---------------------------------------------------------------------------------
    @staticmethod
    def _order_lock_rule(platform) -> str:
        if platform is None:
            return ""
        cap = platform.capability(Entity.ORDER)
        if cap.app_edit_after_push is StatusChange.CONFLICT:
            return cap.app_edit_rule
        return ""

    def order_lock(self, app_id: str) -> str:
        """The rule that locks this order (SAPO-09, KVF-10) when it is on the POS, or ''."""
        rule = self._order_lock_rule(self._platform())
        if not rule or self.profile is None:
            return ""
        linked = m.Link.select().where((m.Link.profile == self.profile.id)
                                       & (m.Link.entity == "order")
                                       & (m.Link.app_id == app_id)).exists()
        return rule if linked else ""

    def change_order_status(self) -> OrderStatusDialog | None:
        ids = self.entity_tabs["order"].selected_ids()
        if not ids:
            return None
        rule = self.order_lock(ids[0])
        if rule:
            self.message.emit(tr("appdata.order_locked", reason=f"{caveat_title(rule)} ({rule})"))
            return None
        record = self.catalog.get(Entity.ORDER, ids[0])
        dialog = OrderStatusDialog(record.status, self)

        def apply() -> None:
            self.catalog.put(Entity.ORDER, dataclasses.replace(record, status=dialog.status()),
                             origin=self.catalog.origin(Entity.ORDER, record.key) or "app")
            self.entity_tabs["order"].reload()
        dialog.accepted.connect(apply)
        dialog.open()
        return dialog
