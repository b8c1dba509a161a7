#!/bin/sh
# Prints the path of a working Python >= 3.12, or explains why none was found and exits 1.
# pyenv shims on PATH may exist but fail ("command not found"), so each candidate is run and
# asked for its real version before it is trusted.
set -u
candidates="${PYTHON:-} python3.13 python3.12 python3"
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for v in "$root"/versions/3.1[3-9]* "$root"/versions/3.12*; do
    [ -x "$v/bin/python3" ] && candidates="$candidates $v/bin/python3"
  done
fi
for dir in "$HOME/.pyenv/versions" /usr/local/bin /usr/bin; do
  for v in "$dir"/3.1[2-9]*/bin/python3 "$dir"/python3.1[2-9]; do
    [ -x "$v" ] && candidates="$candidates $v"
  done
done
for c in $candidates; do
  [ -n "$c" ] || continue
  out=$("$c" -c 'import sys; print(sys.executable if sys.version_info >= (3, 12) else "")' 2>/dev/null) || continue
  if [ -n "$out" ]; then
    echo "$out"
    exit 0
  fi
done
echo "No Python >= 3.12 found (tried: $candidates). Install Python 3.12 or newer, or set PYTHON=/path/to/python3.12." >&2
exit 1
