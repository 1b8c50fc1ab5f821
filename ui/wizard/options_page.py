"""Entity toggles and options, with every caveat inline next to what it concerns.

Locked options show their fixed value, disabled, with the reason (KVF-03)."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QFrame, QGroupBox, QLabel,
                               QScrollArea, QVBoxLayout, QWidget, QWizardPage)

from contract.records import SYNC_ORDER
from contract.connector import Direction, Mode
from ui.i18n import direction_arrow, entity_name, pick, tr
from ui.wizard.caveat_notes import caveat_note, caveat_title


ALWAYS_SHOWN = ("COM-01",)


def _mode_text(cap) -> str:
    modes = {cap.pull, cap.push} - {Mode.NONE}
    if modes == {Mode.CREATE_ONLY}:
        return tr("wizard.options.create_only")
    return tr("wizard.options.full")


class OptionsPage(QWizardPage):
    def __init__(self, state, services, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services = state, services
        self.setTitle(tr("wizard.options.title"))
        self.setSubTitle(tr("wizard.options.sub"))
        self.entity_boxes: dict[str, QCheckBox] = {}
        self.option_widgets: dict[str, QWidget] = {}
        self.notes: dict[str, QWidget] = {}
        self.option_groups: dict[str, list[QCheckBox]] = {}
        self._built_for = None
        self.inner = QWidget()
        self.column = QVBoxLayout(self.inner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)

    def shown_rules(self) -> set[str]:
        return set(self.notes)

    def _note(self, rule: str, layout) -> None:
        if rule in self.notes:
            return
        note = caveat_note(rule)
        self.notes[rule] = note
        layout.addWidget(note)

    def initializePage(self) -> None:
        platform = self.services.platform(self.state.platform_key)
        key = (platform.key, self.state.editing)
        if self._built_for == key:
            return
        self._built_for = key
        while self.column.count():
            item = self.column.takeAt(0)
            if item.widget() is not None:
                item.widget().setParent(None)
        self.entity_boxes, self.option_widgets, self.notes = {}, {}, {}
        self.option_groups = {}
        saved = dict(platform.option_defaults())
        saved.update(self.state.options)
        option_specs = {spec.name: spec for spec in platform.options}
        placed_options: set[str] = set()

        entities_box = QGroupBox(tr("wizard.options.entities"))
        entities_layout = QVBoxLayout(entities_box)
        enabled = set(self.state.entities) if self.state.entities else None
        for entity in SYNC_ORDER:
            cap = platform.entities.get(entity)
            if cap is None:
                continue
            label = entity_name(entity.value)
            if cap.direction is Direction.NONE:
                box = QCheckBox(f"{label} — {tr('wizard.options.not_offered')}")
                box.setEnabled(False)
                box.setChecked(False)
            else:
                box = QCheckBox(f"{label}   {direction_arrow(cap.direction.value)} "
                                f"({_mode_text(cap)})")
                box.setChecked(enabled is None or entity.value in enabled)
                self.entity_boxes[entity.value] = box
            box.setObjectName(f"entity_{entity.value}")
            entities_layout.addWidget(box)
            holder = QVBoxLayout()
            holder.setContentsMargins(24, 0, 0, 6)
            # The entity's checkbox IS the option that switches it (NH-02, sync_orders …);
            # entities sharing one option (categories + products) move together.
            if cap.enabled_by and cap.enabled_by in option_specs and box.isEnabled():
                spec = option_specs[cap.enabled_by]
                box.setChecked(bool(saved.get(spec.name, spec.default))
                               and (enabled is None or entity.value in enabled))
                group = self.option_groups.setdefault(spec.name, [])
                group.append(box)
                box.toggled.connect(lambda on, name=spec.name: self._toggle_group(name, on))
                if spec.name not in placed_options:
                    placed_options.add(spec.name)
                    # A note about one entity of the group sits under that entity: KiotViet's
                    # product notes (KVF-02/12/13) under Products, not under Categories.
                    elsewhere = {rule for other in platform.entities.values()
                                 if other is not cap for rule in other.caveats}
                    for rule in spec.caveats:
                        if rule not in elsewhere or rule in cap.caveats:
                            self._note(rule, holder)
            for option_name in set(cap.gated_fields.values()) | set(cap.update_fields_option.values()):
                if option_name in option_specs and option_name not in placed_options:
                    self._add_option(option_specs[option_name], saved, holder)
                    placed_options.add(option_name)
            # Options about this entity (their caveats name one of its rules) sit under it,
            # e.g. the locked KVF-03 status option under Products.
            for spec in platform.options:
                if (spec.name not in placed_options and spec.name not in self.option_groups
                        and set(spec.caveats) & set(cap.caveats)
                        and not any(spec.name == c.enabled_by for c in platform.entities.values())):
                    self._add_option(spec, saved, holder)
                    placed_options.add(spec.name)
            rules = list(cap.caveats)
            if cap.unavailable_reason:
                rules.append(cap.unavailable_reason)
            for rule in rules:
                self._note(rule, holder)
            entities_layout.addLayout(holder)
        self.column.addWidget(entities_box)

        rest = [spec for spec in platform.options if spec.name not in placed_options]
        if rest:
            options_box = QGroupBox(tr("wizard.options.options"))
            options_layout = QVBoxLayout(options_box)
            for spec in rest:
                self._add_option(spec, saved, options_layout)
            self.column.addWidget(options_box)

        # COM-01 concerns every platform: deleting on the POS never deletes in the App.
        general = [rule for rule in (*platform.caveats, *ALWAYS_SHOWN) if rule not in self.notes]
        if general:
            general_box = QGroupBox(tr("wizard.options.platform_notes"))
            general_layout = QVBoxLayout(general_box)
            for rule in general:
                self._note(rule, general_layout)
            self.column.addWidget(general_box)
        self.column.addStretch(1)

    def _toggle_group(self, option_name: str, on: bool) -> None:
        for box in self.option_groups.get(option_name, []):
            if box.isChecked() != on:
                box.setChecked(on)

    def _add_option(self, spec, saved, layout) -> None:
        label = pick(spec.label_vi, spec.label_en)
        value = spec.default if spec.locked else saved.get(spec.name, spec.default)
        if spec.choices:
            widget = QComboBox()
            for choice_value, label_vi, label_en in spec.choices:
                widget.addItem(pick(label_vi, label_en), choice_value)
            index = widget.findData(value)
            widget.setCurrentIndex(max(index, 0))
            form = QFormLayout()
            form.addRow(label, widget)
            layout.addLayout(form)
        else:
            widget = QCheckBox(label)
            widget.setChecked(bool(value))
            layout.addWidget(widget)
        widget.setObjectName(f"option_{spec.name}")
        if spec.locked:
            widget.setEnabled(False)
            reason = QLabel(tr("wizard.options.locked_reason",
                               reason=caveat_title(spec.lock_rule)))
            reason.setToolTip(tr("common.rule", rule=spec.lock_rule))
            reason.setObjectName(f"locked_{spec.name}")
            reason.setWordWrap(True)
            reason.setStyleSheet("color: #8a5a00;")
            layout.addWidget(reason)
            if spec.lock_rule:
                self._note(spec.lock_rule, layout)
        for rule in spec.caveats:
            self._note(rule, layout)
        self.option_widgets[spec.name] = widget

    def validatePage(self) -> bool:
        platform = self.services.platform(self.state.platform_key)
        options = {}
        for spec in platform.options:
            widget = self.option_widgets.get(spec.name)
            if spec.name in self.option_groups:
                options[spec.name] = any(box.isChecked() for box in self.option_groups[spec.name])
            elif spec.locked or widget is None:
                options[spec.name] = spec.default
            elif isinstance(widget, QComboBox):
                options[spec.name] = widget.currentData()
            else:
                options[spec.name] = widget.isChecked()
        self.state.options = options
        self.state.entities = [name for name, box in self.entity_boxes.items() if box.isChecked()]
        return True
