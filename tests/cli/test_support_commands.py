"""The commands support staff run on a shop's PC: selfcheck and the diagnostics bundle (B-03)."""
from __future__ import annotations

import zipfile

from tests.cli.conftest import SECRET


def test_selfcheck_reports_every_check_and_passes_on_a_fresh_install(shopsync):
    code, out, err = shopsync("selfcheck")
    assert code == 0, out + err
    for check in ("qt", "database", "keyring", "resources", "platform:sapo", "platform:nhanh-v3"):
        assert check in out


def test_b03_com07_diagnostics_command_writes_a_zip_without_the_secret(shopsync, fake_profile,
                                                                      tmp_path):
    code, out, err = shopsync("sync", fake_profile)
    assert code in (0, 1), err
    bundle = tmp_path / "support.zip"
    code, out, err = shopsync("diagnostics", str(bundle))
    assert code == 0, err
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        assert names
        for name in names:
            assert SECRET.encode() not in archive.read(name), name
