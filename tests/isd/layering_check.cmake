# The driver touches the ISU only through its register map: checks that the ISD library
#   1. includes nothing from src/isu but isu/regs.h (harness/ excepted: it is the model bench),
#   2. references no symbol of the ISU model (nm of the archive),
#   3. was not linked against irqshape_isu (LINKED is computed at configure time).
# Usage: cmake -DSRC=<src/isd> -DARCHIVE=<libirqshape_isd.a> -DNM=<nm> -DLINKED=<libs> -P layering_check.cmake
file(GLOB_RECURSE sources "${SRC}/*.h" "${SRC}/*.cc")
foreach(f ${sources})
  if(f MATCHES "/harness/")
    continue()
  endif()
  file(STRINGS "${f}" includes REGEX "^#include \"isu/")
  foreach(line ${includes})
    if(NOT line MATCHES "^#include \"isu/regs.h\"")
      message(FATAL_ERROR "${f}: ${line}: the driver may include only isu/regs.h from the ISU")
    endif()
  endforeach()
endforeach()

execute_process(COMMAND ${NM} -C --undefined-only "${ARCHIVE}" OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${ARCHIVE}")
endif()
string(REGEX MATCHALL "irqshape::isu::[^\n]*" model_symbols "${undefined}")
if(model_symbols)
  message(FATAL_ERROR "${ARCHIVE} references the ISU model: ${model_symbols}")
endif()

if(LINKED MATCHES "irqshape_isu([^_]|$)")
  message(FATAL_ERROR "irqshape_isd links against the ISU model: ${LINKED}")
endif()
message(STATUS "isd layering ok: includes isu/regs.h only, no ISU symbols, links ${LINKED}")
