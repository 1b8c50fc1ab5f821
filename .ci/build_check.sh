#!/usr/bin/env bash
# Build check: freeze the app with the same spec as the Windows release, then run the frozen
# command line (`--version`, `selfcheck`) so a module or resource the analysis missed fails CI
# here instead of on a shop's PC. Uses a throw-away dist/work folder and data home.
#   usage: .ci/build_check.sh            (PYTHON=/path/to/python to choose the interpreter)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
    echo "build-check: PyInstaller is not installed for $python (pip install -e .[build])" >&2
    exit 1
fi

if [[ "$(uname -s)" == Linux ]]; then
    for tool in ldd objdump; do   # PyInstaller reads shared-library dependencies with these
        command -v "$tool" >/dev/null || {
            echo "build-check: '$tool' is missing (apt-get install binutils libc-bin)" >&2; exit 1; }
    done
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/shopsync-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
if ! "$python" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$work/dist" --workpath "$work/build" packaging/shopsync.spec \
        >"$work/pyinstaller.log" 2>&1; then
    tail -n 60 "$work/pyinstaller.log" >&2
    echo "build-check: PyInstaller failed" >&2
    exit 1
fi
built=$(date +%s)

bundle="$work/dist/ShopSync"
cli="$bundle/shopsync-cli"
[ -x "$cli" ] || { echo "build-check: $cli was not built" >&2; exit 1; }
[ -x "$bundle/ShopSync" ] || { echo "build-check: windowed ShopSync was not built" >&2; exit 1; }

export QT_QPA_PLATFORM=offscreen SHOPSYNC_KEYRING=memory SHOPSYNC_HOME="$work/home"
expected="$("$python" -c 'import app; print(app.__version__)')"
version_output="$("$cli" --version 2>&1)"
echo "build-check: frozen --version: $version_output"
case "$version_output" in
    *"$expected"*) ;;
    *) echo "build-check: frozen version '$version_output' does not show $expected" >&2; exit 1 ;;
esac

if ! "$cli" selfcheck; then
    echo "build-check: frozen selfcheck failed (see the FAIL lines above)" >&2
    exit 1
fi
if "$cli" --help 2>/dev/null | grep -q diagnostics; then
    "$cli" diagnostics "$work/diagnostics.zip" >/dev/null
    "$python" -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
assert {'versions.json', 'profiles.json', 'runs.json'} <= set(z.namelist()), z.namelist()" \
        "$work/diagnostics.zip"
    echo "build-check: frozen diagnostics bundle ok"
else
    echo "build-check: CLI has no 'diagnostics' command yet: frozen bundle not checked" >&2
fi
done_at=$(date +%s)
echo "build-check: ok — build $((built - start)) s, frozen checks $((done_at - built)) s," \
     "bundle $(du -sh "$bundle" | cut -f1)"
