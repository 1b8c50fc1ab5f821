"""The rule IDs of RULES.md (COM-, SAPO-, KVF-, NH-, B-) as one enum.

str-valued: result rows, caveat texts and messages keep the plain "KVF-07" they always held,
and `RuleId.KVF_07 == "KVF-07"`. A rule that is not here does not exist.
"""
from __future__ import annotations

from enum import Enum


class RuleId(str, Enum):
    B_01 = "B-01"
    B_02 = "B-02"
    B_03 = "B-03"
    B_04 = "B-04"
    B_05 = "B-05"
    B_06 = "B-06"
    COM_01 = "COM-01"
    COM_02 = "COM-02"
    COM_03 = "COM-03"
    COM_04 = "COM-04"
    COM_05 = "COM-05"
    COM_06 = "COM-06"
    COM_07 = "COM-07"
    COM_08 = "COM-08"
    COM_09 = "COM-09"
    COM_10 = "COM-10"
    KVF_01 = "KVF-01"
    KVF_02 = "KVF-02"
    KVF_03 = "KVF-03"
    KVF_04 = "KVF-04"
    KVF_05 = "KVF-05"
    KVF_06 = "KVF-06"
    KVF_07 = "KVF-07"
    KVF_08 = "KVF-08"
    KVF_09 = "KVF-09"
    KVF_10 = "KVF-10"
    KVF_11 = "KVF-11"
    KVF_12 = "KVF-12"
    KVF_13 = "KVF-13"
    KVF_14 = "KVF-14"
    KVF_15 = "KVF-15"
    NH_01 = "NH-01"
    NH_02 = "NH-02"
    NH_03 = "NH-03"
    NH_04 = "NH-04"
    NH_05 = "NH-05"
    NH_06 = "NH-06"
    NH_07 = "NH-07"
    NH_08 = "NH-08"
    NH_09 = "NH-09"
    NH_10 = "NH-10"
    NH_11 = "NH-11"
    NH_12 = "NH-12"
    NH_13 = "NH-13"
    SAPO_01 = "SAPO-01"
    SAPO_02 = "SAPO-02"
    SAPO_03 = "SAPO-03"
    SAPO_04 = "SAPO-04"
    SAPO_05 = "SAPO-05"
    SAPO_06 = "SAPO-06"
    SAPO_07 = "SAPO-07"
    SAPO_08 = "SAPO-08"
    SAPO_09 = "SAPO-09"
    SAPO_10 = "SAPO-10"
    SAPO_11 = "SAPO-11"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:          # a dict keyed by "KVF-07" finds RuleId.KVF_07
        return hash(self.value)
