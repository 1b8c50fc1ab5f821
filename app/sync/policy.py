"""Rules as data: what the engine may do with one entity of one connection.

Everything here is read from the platform's `EntityCapability` (connectors/<p>/platform.py)
and the profile's options; the engine consults an `EntityPolicy` and never asks which platform
it is talking to.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from contract.records import Entity, OrderStatus, Record, fingerprint
from contract.connector import EntityCapability, Mode, Platform, StatusChange, is_on  # noqa: F401 (re-exported)

def profile_options(profile: Any, platform: Platform) -> dict[str, Any]:
    """The platform's option defaults overlaid with what the profile saved."""
    saved = getattr(profile, "options", None) or {}
    if isinstance(saved, str):
        saved = json.loads(saved or "{}")
    options = platform.option_defaults()
    options.update(saved)
    # A locked option always has its platform value, whatever an old profile row says (KVF-03).
    for spec in platform.options:
        if spec.locked:
            options[spec.name] = spec.default
    return options


@dataclass(frozen=True)
class EntityPolicy:
    entity: Entity
    pull: Mode
    push: Mode
    rule: str = ""
    caveats: tuple[str, ...] = ()
    # Why the entity is off for this connection (option switched off): rule/option names.
    off_reason: str = ""
    push_statuses: frozenset[OrderStatus] = frozenset()
    status_changes: Mapping[OrderStatus, StatusChange] = field(default_factory=dict)
    status_change_rules: Mapping[OrderStatus, str] = field(default_factory=dict)
    app_edit_after_push: StatusChange = StatusChange.PUSH
    app_edit_rule: str = ""
    # Fields never touched on the App because their option is off (NH-03).
    untouched_fields: frozenset[str] = frozenset()
    # Fields taken on the first appearance only, unless their option is on (NH-09).
    first_time_fields: frozenset[str] = frozenset()
    # Fields whose later changes are taken even when the entity is create-only (NH-09 on).
    kept_updated_fields: frozenset[str] = frozenset()

    @property
    def pulls(self) -> bool:
        return self.pull is not Mode.NONE and not self.off_reason

    @property
    def pushes(self) -> bool:
        return self.push is not Mode.NONE and not self.off_reason

    @property
    def active(self) -> bool:
        return self.pulls or self.pushes

    def status_change(self, status: OrderStatus) -> tuple[StatusChange, str]:
        """What a later App status change of a pushed order becomes, and the rule deciding it.

        A status the platform does not list is not pushed and needs nothing: IGNORE."""
        change = self.status_changes.get(status, StatusChange.IGNORE)
        return change, self.status_change_rules.get(status, self.rule)

    def may_push_order(self, status: OrderStatus) -> bool:
        return not self.push_statuses or status in self.push_statuses

    def comparable(self, record: Record) -> str:
        """Fingerprint over the fields this connection syncs: a change to an untouched field
        (NH-03 off) must not look like an edit."""
        return fingerprint(blank_fields(record, self.untouched_fields))


def policy_for(platform: Platform, entity: Entity, options: Mapping[str, Any]) -> EntityPolicy:
    cap: EntityCapability = platform.capability(entity)
    off = ""
    if cap.enabled_by and not is_on(options.get(cap.enabled_by, False)):
        off = cap.enabled_by
    untouched = frozenset(name for name, option in cap.gated_fields.items()
                          if not is_on(options.get(option, False)))
    kept = frozenset(name for name, option in cap.update_fields_option.items()
                     if is_on(options.get(option, False)))
    first_time = frozenset(cap.update_fields_option) - kept
    return EntityPolicy(
        entity=entity, pull=cap.pull, push=cap.push, rule=cap.rule, caveats=cap.caveats,
        off_reason=off, push_statuses=frozenset(cap.push_statuses),
        status_changes=dict(cap.status_changes), status_change_rules=dict(cap.status_change_rules),
        app_edit_after_push=cap.app_edit_after_push, app_edit_rule=cap.app_edit_rule,
        untouched_fields=untouched - kept, first_time_fields=first_time,
        kept_updated_fields=kept)


def policies(platform: Platform, options: Mapping[str, Any]) -> dict[Entity, EntityPolicy]:
    return {entity: policy_for(platform, entity, options) for entity in Entity}


def blank_fields(value: Any, names: frozenset[str]) -> Any:
    """A copy of a record with the named fields (at any depth, e.g. variants' stock) reset to
    their defaults."""
    if not names or not dataclasses.is_dataclass(value):
        return value
    changes = {}
    for f in dataclasses.fields(value):
        current = getattr(value, f.name)
        if f.name in names:
            changes[f.name] = _default(f)
        elif isinstance(current, tuple) and current and dataclasses.is_dataclass(current[0]):
            changes[f.name] = tuple(blank_fields(item, names) for item in current)
    return dataclasses.replace(value, **changes) if changes else value


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None
