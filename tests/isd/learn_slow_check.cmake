# `irqshape learn --horizon 20s` on a trace whose pairs are ~5 s apart: a pattern step waits
# at most 4.294967295s (PAT_MAXk), so learn caps the horizon and says so, and what it writes
# is accepted by isd-check (it once wrote "within 4885747.1us..5117851.9us").
#   cmake -DIRQSHAPE=<binary> -DROOT=<source dir> -DWORK=<scratch dir> -P learn_slow_check.cmake
file(MAKE_DIRECTORY ${WORK})
include(${CMAKE_CURRENT_LIST_DIR}/../cli_run.cmake)
run_ok(out learn --trace ${ROOT}/tests/isd/data/slow-pairs.txt --horizon 20s -o ${WORK}/slow.toml)
if(NOT out MATCHES "--horizon 20s is above the unit's maximum delay of 4\\.294967295s \\(PAT_MAXk\\)")
  message(FATAL_ERROR "learn should say it capped the horizon, said:\n${out}")
endif()
run_ok(check isd-check ${WORK}/slow.toml)
if(NOT check MATCHES "valid")
  message(FATAL_ERROR "isd-check: ${check}")
endif()
