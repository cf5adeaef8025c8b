# Every `irqshape isd-check ...` command in the header comment of an examples/*.toml runs
# as written (continuation lines ending in "\" joined) and says the file is valid; every
# example has at least one. (The header commands used to be copied into CMakeLists.txt by
# hand, and the one of demo-rules.toml never was: it failed.)
#   cmake -DIRQSHAPE=<binary> -DROOT=<source dir> -P example_headers_check.cmake
file(GLOB examples ${ROOT}/examples/*.toml)
if(NOT examples)
  message(FATAL_ERROR "no examples/*.toml under ${ROOT}")
endif()
set(ran 0)
foreach(example ${examples})
  file(READ ${example} content)
  string(REGEX REPLACE "\\\\\n#" "" content "${content}")  # join "\" continuation lines
  string(REPLACE ";" "<semicolon>" content "${content}")  # a comment's ";" is no list separator
  string(REPLACE "\n" ";" lines "${content}")
  set(found 0)
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^#")
      break()  # the header ends at the first line that is not a comment
    endif()
    string(REGEX REPLACE "^#[ \t]*" "" command "${line}")
    if(NOT command MATCHES "^irqshape isd-check ")
      continue()
    endif()
    string(REGEX REPLACE "^irqshape " "" args "${command}")
    separate_arguments(args UNIX_COMMAND "${args}")
    execute_process(COMMAND ${IRQSHAPE} ${args} WORKING_DIRECTORY ${ROOT}
                    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT out MATCHES "valid")
      message(FATAL_ERROR "${example}: `${command}` failed (${rc}):\n${err}${out}")
    endif()
    message(STATUS "ok: ${command}")
    math(EXPR found "${found} + 1")
    math(EXPR ran "${ran} + 1")
  endforeach()
  if(found EQUAL 0)
    message(FATAL_ERROR "${example}: no `irqshape isd-check` command in its header comment")
  endif()
endforeach()
message(STATUS "${ran} header commands ran")
