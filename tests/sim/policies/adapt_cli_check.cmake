# The adaptive `isu` policy from the command line, as a user runs it (CTest
# sim.cli.isu_adapt):
#   cmake -DIRQSHAPE=<binary> -DROOT=<source dir> -DWORK=<scratch dir> -P adapt_cli_check.cmake
# replay of a real trace with --policy isu:max-added-p99=50us: the table names the spec,
# the JSON's telemetry has the adapter's budget, period and steps; a bad budget is a
# one-line error naming the parameter.
file(MAKE_DIRECTORY ${WORK})
include(${CMAKE_CURRENT_LIST_DIR}/../../cli_run.cmake)
set(trace ${ROOT}/data/traces/randread-qd32.irqt)

run_ok(out replay --trace ${trace} --policy isu:max-added-p99=50us --json ${WORK}/replay.json)
string(FIND "${out}" "isu:max-added-p99=50us" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the table should name the adaptive policy:\n${out}")
endif()

file(READ ${WORK}/replay.json json)
string(JSON n LENGTH "${json}" policies)
math(EXPR last "${n} - 1")
set(found OFF)
foreach(i RANGE ${last})
  string(JSON spec GET "${json}" policies ${i} spec)
  if(spec STREQUAL "isu:max-added-p99=50us")
    set(found ON)
    string(JSON description GET "${json}" policies ${i} description)
    string(JSON budget GET "${json}" policies ${i} telemetry adapter budget_ns)
    string(JSON period GET "${json}" policies ${i} telemetry adapter period_ns)
    string(JSON steps LENGTH "${json}" policies ${i} telemetry adapter steps)
    string(JSON reason GET "${json}" policies ${i} telemetry adapter steps 0 reason)
    if(NOT budget EQUAL 50000 OR NOT period EQUAL 10000000 OR steps LESS 1 OR reason STREQUAL "")
      message(FATAL_ERROR "adapter telemetry: budget ${budget}, period ${period}, ${steps} steps, first reason '${reason}'")
    endif()
    if(NOT description MATCHES "adapting coalescing every 10ms to an added p99 of at most 50us")
      message(FATAL_ERROR "description should say the policy adapts: ${description}")
    endif()
    message(STATUS "adapter: ${steps} steps; ${description}")
  endif()
endforeach()
if(NOT found)
  message(FATAL_ERROR "no run of isu:max-added-p99=50us in ${WORK}/replay.json")
endif()

# A zero budget: a one-line error naming the parameter.
run_fails("parameter \"max-added-p99\": 0ns is outside 1us" replay --trace ${trace} --policy isu:max-added-p99=0us)
