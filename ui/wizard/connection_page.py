"""Connection fields generated from Platform.credential_fields, the platform's own setup steps
beside them, and the caveats about connecting (SAPO-01/11, KVF-14, NH-01)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QScrollArea, QVBoxLayout, QWidget, QWizardPage)

from app.connection_values import check_credential
from contract.connector import CredentialField, InvalidInput
from ui.i18n import pick, tr
from ui.wizard.caveat_notes import caveat_note
from ui.wizard.connection_test import ConnectionTestPanel


class FieldEditor:
    """One credential field: its input, inline error, and validation on leave."""

    def __init__(self, spec: CredentialField) -> None:
        self.spec = spec
        if spec.choices:
            self.input = QComboBox()
            for value, label_vi, label_en in spec.choices:
                self.input.addItem(pick(label_vi, label_en), value)
        else:
            self.input = QLineEdit()
            self.input.setPlaceholderText(spec.placeholder)
            if spec.secret:
                self.input.setEchoMode(QLineEdit.EchoMode.Password)
            self.input.editingFinished.connect(self.check)
        self.input.setObjectName(f"field_{spec.name}")
        self.error = QLabel("")
        self.error.setObjectName(f"error_{spec.name}")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        help_text = pick(spec.help_vi, spec.help_en)
        self.input.setToolTip(help_text)
        self.help = QLabel(help_text)
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: #666;")
        self.help.setVisible(bool(help_text))

    def raw(self) -> str:
        if isinstance(self.input, QComboBox):
            return str(self.input.currentData() or "")
        return self.input.text()

    def set_value(self, value: str) -> None:
        if isinstance(self.input, QComboBox):
            index = self.input.findData(value)
            if index >= 0:
                self.input.setCurrentIndex(index)
        else:
            self.input.setText(value)

    def check(self) -> str | None:
        """The cleaned value, or None with the inline error shown."""
        raw = self.raw()
        label = pick(self.spec.label_vi, self.spec.label_en)
        if not raw.strip():
            if self.spec.required:
                return self._fail(tr("wizard.connection.required", field=label))
            self._ok()
            return ""
        try:
            value = check_credential(self.spec, self.spec.validate(raw))
        except InvalidInput as exc:
            return self._fail(pick(exc.message_vi, exc.message_en))
        if isinstance(self.input, QLineEdit) and value != raw and not self.spec.secret:
            self.input.setText(value)   # show the cleaned value (a pasted Sapo URL → NAME)
        self._ok()
        return value

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(True)
        return None

    def _ok(self) -> None:
        self.error.setVisible(False)


class ConnectionPage(QWizardPage):
    def __init__(self, state, services, jobs, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services, self.jobs = state, services, jobs
        self.setTitle(tr("wizard.connection.title"))
        self.editors: dict[str, FieldEditor] = {}
        self._built_for = None
        outer = QHBoxLayout(self)
        left = QWidget()
        self.form_layout = QVBoxLayout(left)
        self.form_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(left)
        self.steps_box = QGroupBox(tr("wizard.connection.steps"))
        self.steps_layout = QVBoxLayout(self.steps_box)
        steps_scroll = QScrollArea()
        steps_scroll.setWidgetResizable(True)
        steps_scroll.setFrameShape(QFrame.Shape.NoFrame)
        steps_scroll.setWidget(self.steps_box)
        # The test button and its answer stay in view below the scrolling form.
        left_column = QVBoxLayout()
        left_column.addWidget(scroll, 1)
        self.test_holder = QVBoxLayout()
        left_column.addLayout(self.test_holder)
        outer.addLayout(left_column, 3)
        outer.addWidget(steps_scroll, 2)
        self.test_panel = None

    # -- building ---------------------------------------------------------------------------
    def _clear(self, layout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
            elif item.layout() is not None:
                self._clear(item.layout())

    def initializePage(self) -> None:
        platform = self.services.platform(self.state.platform_key)
        self.setSubTitle(tr("wizard.connection.sub", platform=pick(platform.name_vi,
                                                                  platform.name_en)))
        key = (platform.key, self.state.sample, self.state.editing)
        if self._built_for == key:
            return
        self._built_for = key
        self._clear(self.form_layout)
        self._clear(self.steps_layout)
        self._clear(self.test_holder)
        self.editors = {}
        if self.state.sample:
            note = QLabel(tr("wizard.connection.sample_note"))
            note.setWordWrap(True)
            note.setObjectName("sampleNote")
            note.setStyleSheet("background: #e8f1fb; padding: 6px; border-radius: 4px;")
            self.form_layout.addWidget(note)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(self.state.profile_name or self.services.suggest_name(
            platform, self.state.sample))
        self.name_edit.setObjectName("profileName")
        self.name_error = QLabel("")
        self.name_error.setStyleSheet("color: #c62828;")
        self.name_error.setVisible(False)
        form.addRow(tr("wizard.connection.profile_name"), self.name_edit)
        form.addRow("", self.name_error)
        defaults_fields, defaults_secrets = self.services.initial_values(self.state, platform)
        shown: set[str] = set()
        for spec in platform.credential_fields:
            if self.services.is_branch_field(spec):
                continue          # picked from the connection test's list on the next page
            editor = FieldEditor(spec)
            if spec.secret and self.state.sample and isinstance(editor.input, QLineEdit):
                # The sample secret is no secret: shown, so the owner can change it to see a
                # failed test and type it back (the note suggests exactly that).
                editor.input.setEchoMode(QLineEdit.EchoMode.Normal)
            value = defaults_secrets.get(spec.name) if spec.secret else defaults_fields.get(spec.name)
            if value:
                editor.set_value(value)
            self.editors[spec.name] = editor
            label = pick(spec.label_vi, spec.label_en) + ("" if spec.required else " ")
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(editor.input)
            box.addWidget(editor.error)
            box.addWidget(editor.help)
            form.addRow(label, box)
            for rule in spec.caveats:
                if rule not in shown:           # one box per rule, at its first field
                    shown.add(rule)
                    form.addRow(caveat_note(rule))
        self.form_layout.addLayout(form)
        for rule in platform.caveats:
            if rule not in shown and (rule != "NH-12" or platform.deprecated):
                shown.add(rule)
                self.form_layout.addWidget(caveat_note(rule))
        if not self.services.uses_browser_login(platform):
            self.test_panel = ConnectionTestPanel(self.state, self.services, self.jobs,
                                                  self.collect)
            self.test_panel.tested.connect(self._tested)
            self.test_holder.addWidget(self.test_panel)
        else:
            self.test_panel = None
        self.form_layout.addStretch(1)
        for number, step in enumerate(platform.setup_steps, start=1):
            label = QLabel(f"<b>{number}.</b> {pick(step.text_vi, step.text_en)}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setOpenExternalLinks(True)
            self.steps_layout.addWidget(label)
        self.steps_layout.addStretch(1)
        self.steps_box.setVisible(bool(platform.setup_steps))

    def _tested(self, ok: bool) -> None:
        """After a test that worked the next step is "Tiếp >": focus goes there (it sat on
        "< Quay lại", so Enter went back a page)."""
        self.completeChanged.emit()
        wizard = self.wizard()
        if ok and wizard is not None:
            from PySide6.QtWidgets import QWizard
            wizard.button(QWizard.WizardButton.NextButton).setFocus()

    # -- reading ----------------------------------------------------------------------------
    def collect(self) -> bool:
        """Validate every field into the state; False (with inline errors) if one is wrong."""
        ok = True
        name = self.name_edit.text().strip()
        problem = self.services.check_profile_name(name, self.state.editing)
        self.name_error.setText(problem or "")
        self.name_error.setVisible(bool(problem))
        ok = ok and not problem
        # Values the user does not type (a Nhanh login's token, business id) are kept.
        fields = {k: v for k, v in self.state.fields.items() if k not in self.editors}
        secrets = {k: v for k, v in self.state.secrets.items() if k not in self.editors}
        for spec_name, editor in self.editors.items():
            value = editor.check()
            if value is None:
                ok = False
                continue
            (secrets if editor.spec.secret else fields)[spec_name] = value
        if ok:
            self.state.profile_name = name
            self.state.fields, self.state.secrets = fields, secrets
        return ok

    def isComplete(self) -> bool:
        if self.test_panel is None:
            return True
        return self.state.connection_is_tested()

    def validatePage(self) -> bool:
        if not self.collect():
            return False
        if self.test_panel is not None and not self.state.connection_is_tested():
            self.test_panel.status.setText(tr("wizard.test.needed"))
            return False
        return True
