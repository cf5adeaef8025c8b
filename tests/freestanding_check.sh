#!/usr/bin/env bash
# Checks that a static library built freestanding references no symbol outside itself
# except the few the compiler may emit for any freestanding code (memcpy and friends).
set -euo pipefail
lib=$1
defined=$(nm --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
undefined=$(nm -u "$lib" 2>/dev/null | awk '{print $NF}' | grep -v ':$' | sort -u)
# __cxa_pure_virtual: vtables of abstract interfaces name it; a freestanding kernel defines it (halts).
# __popcountdi2 and friends: libgcc's integer helpers; a kernel links libgcc.
# Anything else - heap, I/O, exceptions, guard variables, libatomic calls - fails the check.
allowed='^(memcpy|memset|memmove|memcmp|__cxa_pure_virtual|__[a-z]+[sdt]i[23])$'
bad=$(comm -23 <(echo "$undefined") <(echo "$defined") | grep -Ev "$allowed" | grep -v '^$' || true)
if [ -n "$bad" ]; then
  echo "$lib references hosted symbols:"
  echo "$bad" | c++filt | sed 's/^/  /'
  exit 1
fi
echo "$lib: freestanding (only $(echo "$undefined" | grep -Ec "$allowed" || true) allowed external reference(s))"
