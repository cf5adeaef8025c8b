# `irqshape isd-telemetry`: the last period ends at --duration (a short one when the
# duration is not a multiple of the period), and a duration shorter than one period is
# one short period, not none.
#   cmake -DIRQSHAPE=<binary> -DWORK=<scratch dir> -P telemetry_periods_check.cmake
file(MAKE_DIRECTORY ${WORK})
include(${CMAKE_CURRENT_LIST_DIR}/../cli_run.cmake)

# expect: "start_ns:t_ns" of each period, in order
function(check_periods duration expect)
  run_ok(out isd-telemetry --duration ${duration} --period 10ms --quiet --jsonl ${WORK}/periods.jsonl)
  file(STRINGS ${WORK}/periods.jsonl lines)
  set(got "")
  foreach(line ${lines})
    string(JSON start GET "${line}" start_ns)
    string(JSON end GET "${line}" t_ns)
    list(APPEND got "${start}:${end}")
  endforeach()
  if(NOT got STREQUAL "${expect}")
    message(FATAL_ERROR "--duration ${duration}: periods ${got}, expected ${expect}\n${out}")
  endif()
  list(LENGTH lines n)
  set(unit periods)
  if(n EQUAL 1)
    set(unit period)
  endif()
  if(NOT out MATCHES "over the whole [0-9.]+ s.*wrote ${n} ${unit} to")
    message(FATAL_ERROR "--duration ${duration}: summary does not match:\n${out}")
  endif()
endfunction()

check_periods(15ms "0:10000000;10000000:15000000")
check_periods(5ms "0:5000000")
check_periods(20ms "0:10000000;10000000:20000000")
