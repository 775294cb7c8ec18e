# Sourced by the scripts that run Python 2-only test suites against a node (scripts/autobahn.sh:
# Autobahn|Testsuite; scripts/sockjs-protocol.sh: the sockjs-protocol suite). Debian bookworm has
# no Python 2, so `python2_prepare` fetches Debian bullseye's python2.7 packages with apt-get
# download (unpacked under $PY2_ROOT/python2.7, not installed) and pip 20.3.4 from PyPI; later
# runs reuse them. `py2` runs that interpreter with its own libraries and packages.
PY2_ROOT=${PY2_ROOT:-$PWD/.build/autobahn}
py2home="$PY2_ROOT/python2.7/usr"
python2="$py2home/bin/python2.7"
# The unpacked interpreter finds its libraries and packages through these (python3 must not see them).
py2() { LD_LIBRARY_PATH="$py2home/lib/x86_64-linux-gnu" PYTHONHOME="$py2home" PYTHONUSERBASE="$PY2_ROOT/site" "$python2" "$@"; }

python2_prepare() {
    if [ ! -x "$python2" ]; then
        echo "python2: fetching python2.7 from Debian bullseye (unpacked, not installed)"
        local apt="$PY2_ROOT/apt"
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$PY2_ROOT/debs"
        echo "deb [trusted=yes] http://deb.debian.org/debian bullseye main" > "$apt/sources.list"
        local aptopts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$apt/lists"
                       -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
        apt-get "${aptopts[@]}" update -qq
        (cd "$PY2_ROOT/debs" && apt-get "${aptopts[@]}" download -qq python2.7 python2.7-minimal libpython2.7 libpython2.7-minimal \
            libpython2.7-stdlib libpython2.7-dev python2.7-dev libssl1.1 libffi7)
        local deb
        for deb in "$PY2_ROOT"/debs/*.deb; do dpkg -x "$deb" "$PY2_ROOT/python2.7"; done
    fi
    if ! py2 -m pip --version >/dev/null 2>&1; then
        python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 2.7 \
            --implementation py --abi none --platform any -d "$PY2_ROOT/wheels" pip==20.3.4 setuptools==44.1.1 wheel==0.37.1
        py2 "$PY2_ROOT/wheels/pip-20.3.4-py2.py3-none-any.whl/pip" install -q --disable-pip-version-check --no-warn-script-location \
            --user "$PY2_ROOT"/wheels/*.whl 2>/dev/null
    fi
}
