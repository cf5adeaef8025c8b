# Fails when the freestanding build of src/kern references a symbol a bare kernel does
# not provide. Allowed: what the objects define themselves, memcpy/memset/memmove/memcmp
# and __cxa_pure_virtual (every freestanding C++ environment supplies them) and libgcc's
# integer helpers (__popcountdi2 and friends; a kernel links libgcc).
cmake_minimum_required(VERSION 3.25)
string(REPLACE ";" " " shown "${OBJECTS}")
execute_process(COMMAND ${NM} --undefined-only --no-sort ${OBJECTS}
  OUTPUT_VARIABLE undefined_out RESULT_VARIABLE rc1)
execute_process(COMMAND ${NM} --defined-only --no-sort ${OBJECTS}
  OUTPUT_VARIABLE defined_out RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "nm failed on ${shown}")
endif()
string(REGEX MATCHALL "[0-9a-f]+ [A-Za-z] [^\n]+" defined_lines "${defined_out}")
set(defined "")
foreach(line IN LISTS defined_lines)
  string(REGEX REPLACE "^[0-9a-f]+ [A-Za-z] " "" sym "${line}")
  list(APPEND defined "${sym}")
endforeach()
string(REGEX MATCHALL "[ \t]U [^\n]+" undefined "${undefined_out}")
set(allowed "^(memcpy|memset|memmove|memcmp|__cxa_pure_virtual|__[a-z]+[sdt]i[23])$")
set(bad "")
foreach(line IN LISTS undefined)
  string(REGEX REPLACE "^[ \t]U " "" sym "${line}")
  if(NOT sym MATCHES "${allowed}" AND NOT sym IN_LIST defined)
    list(APPEND bad "${sym}")
  endif()
endforeach()
list(REMOVE_DUPLICATES bad)
if(bad)
  message(FATAL_ERROR "src/kern references symbols a freestanding kernel does not have: ${bad}")
endif()
message(STATUS "src/kern: only freestanding symbols referenced")
