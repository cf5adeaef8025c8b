# irqshape capture as a user runs it: the exit status follows a workload that fails on its
# own (the trace is still written), not one that capture stops; the duration is printed as
# given. Needs root and tracefs: without them it prints "SKIP: ..." and the test is
# reported as skipped (SKIP_REGULAR_EXPRESSION), never failed.
#   cmake -DIRQSHAPE=<irqshape> -DWORK=<scratch dir> -P capture_check.cmake
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid STREQUAL "0")
  message("SKIP: capture needs root (uid ${uid})")
  return()
endif()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# capture(<name> <expected exit status> <stderr regex> ARGS...)
function(capture name expect_rc err_regex)
  execute_process(COMMAND ${IRQSHAPE} capture -o ${WORK}/${name}.irqt --buffer-kb 256 ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 1 AND err MATCHES "tracefs|tracepoint")
    message("SKIP: ${err}")
    return()
  endif()
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "${name}: exit ${rc}, expected ${expect_rc}\nstderr:\n${err}")
  endif()
  if(NOT err MATCHES "${err_regex}")
    message(FATAL_ERROR "${name}: stderr does not match '${err_regex}':\n${err}")
  endif()
  if(NOT EXISTS ${WORK}/${name}.irqt)
    message(FATAL_ERROR "${name}: no trace written")
  endif()
endfunction()

capture(fails 3 "the command exited with status 3; the trace is written, and irqshape exits with status 3\n$"
        -- sh -c "exit 3")
capture(killed 143 "the command was ended by signal 15; the trace is written, and irqshape exits with status 143\n$"
        -- sh -c "kill -TERM $$")
capture(succeeds 0 "-> .*succeeds.irqt \\(native\\), [0-9]+ records\n$" -- true)
capture(stopped 0 "capturing while `sleep 30` runs.*the command was stopped when the capture ended \\(signal 15\\)\n$"
        --duration 0.3 -- sleep 30)
capture(timed 0 "irqshape capture: capturing for 300ms\n" --duration 0.3)
file(REMOVE_RECURSE "${WORK}")
