# `irqshape sweep` empties --out only when it writes the first row: a sweep that fails
# before any row (a bad grid value) leaves an earlier run's file as it was, and leaves no
# file where there was none.
#   cmake -DIRQSHAPE=<binary> -DWORK=<scratch dir> -P sweep_output_check.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(sweep grid out expect_rc)
  execute_process(COMMAND ${IRQSHAPE} sweep --policy static --grid ${grid} --duration 10ms --threads 1 --out ${out}
                  OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr RESULT_VARIABLE rc)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "sweep --grid ${grid}: expected exit ${expect_rc}, got ${rc}:\n${stdout}\n${stderr}")
  endif()
endfunction()

file(WRITE ${WORK}/rows.csv "an earlier run's rows\n")
sweep(rx-frame=1,2 ${WORK}/rows.csv 1)  # no such parameter: refused before any point runs
file(READ ${WORK}/rows.csv kept)
if(NOT kept STREQUAL "an earlier run's rows\n")
  message(FATAL_ERROR "the failed sweep changed rows.csv: ${kept}")
endif()

sweep(rx-frame=1,2 ${WORK}/new.csv 1)
if(EXISTS ${WORK}/new.csv)
  message(FATAL_ERROR "the failed sweep left new.csv behind")
endif()

# A sweep that runs replaces the whole file, however long the old one was.
string(REPEAT "x" 100000 long)
file(WRITE ${WORK}/rows.csv "${long}")
sweep(rx-frames=1,2 ${WORK}/rows.csv 0)
file(STRINGS ${WORK}/rows.csv lines)
list(LENGTH lines n)
list(GET lines 0 header)
if(NOT n EQUAL 3 OR NOT header MATCHES "^index,spec,rx-frames,seed," OR lines MATCHES "xxx")
  message(FATAL_ERROR "rows.csv after a sweep of two points: ${lines}")
endif()

# A file that cannot be truncated (a FIFO, a device; here /dev/null through a .csv link)
# is written as it is: nothing to empty, not an error.
file(CREATE_LINK /dev/null ${WORK}/null.csv SYMBOLIC)
sweep(rx-frames=1 ${WORK}/null.csv 0)
