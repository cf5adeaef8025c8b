# Running the irqshape binary from CTest's cmake -P checks. Include after setting
# IRQSHAPE (the binary's path).

# A command that must succeed: its standard output goes to `out_var`.
function(run_ok out_var)
  execute_process(COMMAND ${IRQSHAPE} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`irqshape ${ARGN}` failed (${rc}):\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# A bad argument: non-zero exit, one line on stderr that contains `expect` (for a usage
# error, exit 2, followed by the line "Run 'irqshape <command> --help' for the options.").
function(run_fails expect)
  execute_process(COMMAND ${IRQSHAPE} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    message(FATAL_ERROR "`irqshape ${ARGN}` should have failed:\n${out}")
  endif()
  if(rc EQUAL 2)
    string(REGEX REPLACE "\nRun 'irqshape[a-z -]*--help' for the (options|commands)\\.\n$" "\n" err "${err}")
  endif()
  string(STRIP "${err}" err)
  string(FIND "${err}" "\n" newline)
  string(FIND "${err}" "${expect}" found)
  if(NOT newline EQUAL -1 OR found EQUAL -1)
    message(FATAL_ERROR "`irqshape ${ARGN}`: expected one line containing '${expect}', got:\n${err}")
  endif()
endfunction()
