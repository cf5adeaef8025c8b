# `irqshape isd-telemetry` that fails leaves no output file behind: a configuration the
# scenario cannot take (examples/nic-nvme.toml names sources the mixed scenario lacks) is
# refused before --jsonl and --perfetto are created, and a file of that name from an
# earlier run is left as it was.
#   cmake -DIRQSHAPE=<binary> -DROOT=<source dir> -DWORK=<scratch dir> -P telemetry_failure_check.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run_and_expect_failure)
  execute_process(COMMAND ${IRQSHAPE} isd-telemetry --config examples/nic-nvme.toml --duration 50ms
                          --jsonl ${WORK}/out.jsonl --perfetto ${WORK}/out.json
                  WORKING_DIRECTORY ${ROOT} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 1 OR NOT err MATCHES "^irqshape isd-telemetry: ")
    message(FATAL_ERROR "expected exit 1 with a message, got ${rc}:\n${out}\n${err}")
  endif()
endfunction()

run_and_expect_failure()
file(GLOB left ${WORK}/*)
if(left)
  message(FATAL_ERROR "the failed run left files behind: ${left}")
endif()

file(WRITE ${WORK}/out.jsonl "an earlier run's\n")
run_and_expect_failure()
file(READ ${WORK}/out.jsonl kept)
file(GLOB left ${WORK}/*)
if(NOT kept STREQUAL "an earlier run's\n" OR NOT left STREQUAL "${WORK}/out.jsonl")
  message(FATAL_ERROR "the failed run changed what was there: ${left}\nout.jsonl: ${kept}")
endif()
