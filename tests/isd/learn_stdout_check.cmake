# `irqshape learn ... -o -`: standard output carries only the rule file, which isd-check
# accepts; the report (input, source table, sequences) goes to standard error.
#   cmake -DIRQSHAPE=<binary> -DWORK=<scratch dir> -P learn_stdout_check.cmake
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${IRQSHAPE} learn --synthetic 2 -o - OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "learn failed (${rc}):\n${err}")
endif()
if(NOT err MATCHES "^input: synthetic traffic.*sequences \\(.*precision 1\\.00")
  message(FATAL_ERROR "the report should be on stderr, got:\n${err}")
endif()
if(out MATCHES "input: synthetic|source pairs tested|against the planted answer")
  message(FATAL_ERROR "stdout should hold only the rule file, got:\n${out}")
endif()
file(WRITE ${WORK}/learned-stdout.toml "${out}")
execute_process(COMMAND ${IRQSHAPE} isd-check ${WORK}/learned-stdout.toml OUTPUT_VARIABLE check ERROR_VARIABLE check_err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT check MATCHES "valid")
  message(FATAL_ERROR "isd-check rejects what learn -o - wrote (${rc}):\n${check_err}\n--- stdout of learn:\n${out}")
endif()
