# Project-wide compile settings and the helpers every layer uses to declare targets.

set(IRQSHAPE_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(IRQSHAPE_WERROR)
  list(APPEND IRQSHAPE_WARNINGS -Werror)
endif()

# Under the fuzz preset every library is instrumented for coverage and sanitized, not
# only the fuzz target files.
if(IRQSHAPE_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# UBSan's vptr check needs RTTI, which the freestanding layers are built without.
if(IRQSHAPE_SANITIZE)
  add_compile_options(-fsanitize=${IRQSHAPE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${IRQSHAPE_SANITIZE})
  if(IRQSHAPE_SANITIZE MATCHES undefined)
    add_compile_options(-fno-sanitize=vptr)
  endif()
endif()

# Flags for code that must also build without a hosted C++ runtime (src/hw, src/isu,
# src/kern): no exceptions, no RTTI. Each such library also gets a freestanding twin
# (below) whose objects a test checks for heap, I/O and runtime references.
set(IRQSHAPE_FREESTANDING_FLAGS -fno-exceptions -fno-rtti)

# A copy of a freestanding library built as the guest kernel builds it (-ffreestanding,
# no exceptions, RTTI, thread-safe statics or stack protector), and a test that its
# objects reference nothing from the hosted runtime: no heap, no I/O, no exceptions.
function(irqshape_freestanding_twin name)
  if(IRQSHAPE_SANITIZE OR IRQSHAPE_FUZZ)
    return()  # sanitizer runtimes add their own references
  endif()
  add_library(irqshape_${name}_freestanding STATIC ${ARGN})
  target_include_directories(irqshape_${name}_freestanding PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(irqshape_${name}_freestanding PRIVATE ${IRQSHAPE_WARNINGS}
    -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-stack-protector)
  add_test(NAME freestanding.${name}
    COMMAND ${PROJECT_SOURCE_DIR}/tests/freestanding_check.sh $<TARGET_FILE:irqshape_${name}_freestanding>)
  set_tests_properties(freestanding.${name} PROPERTIES LABELS freestanding)
endfunction()

# irqshape_library(<name> [FREESTANDING] SOURCES ... DEPS ...)
# Declares irqshape::<name> with include root src/ (so includes read "hw/ioapic.h").
function(irqshape_library name)
  cmake_parse_arguments(ARG "FREESTANDING;INTERFACE" "" "SOURCES;DEPS" ${ARGN})
  if(ARG_INTERFACE)
    add_library(irqshape_${name} INTERFACE)
    target_include_directories(irqshape_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(irqshape_${name} INTERFACE ${ARG_DEPS})
  else()
    add_library(irqshape_${name} STATIC ${ARG_SOURCES})
    target_include_directories(irqshape_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(irqshape_${name} PRIVATE ${IRQSHAPE_WARNINGS})
    target_link_libraries(irqshape_${name} PUBLIC ${ARG_DEPS})
    if(ARG_FREESTANDING)
      target_compile_options(irqshape_${name} PRIVATE ${IRQSHAPE_FREESTANDING_FLAGS})
      irqshape_freestanding_twin(${name} ${ARG_SOURCES})
    endif()
  endif()
  add_library(irqshape::${name} ALIAS irqshape_${name})
endfunction()

# irqshape_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s])
# One GoogleTest executable; each TEST becomes its own CTest case.
function(irqshape_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${IRQSHAPE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# irqshape_bench(<name> SOURCES ... DEPS ...)
function(irqshape_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${IRQSHAPE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()

# irqshape_fuzz(<name> RUNS n SOURCES ... DEPS ...)
# A fuzz target defines LLVMFuzzerTestOneInput. With IRQSHAPE_FUZZ (clang) it links
# libFuzzer and CTest runs it for n inputs on its seed corpus fuzz/corpus/<name>, with the
# fixed IRQSHAPE_FUZZ_SEED. The CTest run is a reproducible check - the same inputs in the
# same order on every machine, fast or slow, so a CI finding reproduces with
# `ctest --preset fuzz -R fuzz.<name>` - because it is bounded by a count rather than by
# time, libFuzzer does not re-read its corpus directory on a timer (-reload=0), and
# address-space randomization is off (setarch -R): libFuzzer's comparison tracing adds the
# operands a target compares to its dictionary, and some of them are addresses. n is set per target for
# about 15 s on a 2-core machine; IRQSHAPE_FUZZ_SECONDS only caps a run on a machine so
# slow that it would not finish (a capped run says so in its output and is no longer
# reproducible). Open-ended exploration with random seeds is scripts/fuzz.sh's job, whose
# findings join the corpus.
# Otherwise it links fuzz/replay_main.cc and CTest replays every file of the corpus,
# so the seeds and every crash ever found stay regression tests in the normal build.
set(IRQSHAPE_FUZZ_SECONDS 120 CACHE STRING "Upper bound in seconds on each libFuzzer run under CTest")
set(IRQSHAPE_FUZZ_SEED 1 CACHE STRING "libFuzzer -seed under CTest (0: a random seed per run)")
function(irqshape_fuzz name)
  cmake_parse_arguments(ARG "" "RUNS" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_RUNS MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "irqshape_fuzz(${name}): RUNS must be a positive count, got '${ARG_RUNS}'")
  endif()
  set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  if(IRQSHAPE_FUZZ)
    add_executable(fuzz_${name} ${ARG_SOURCES})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)  # compile flags are global (above)
    target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
    # New inputs go to a scratch directory emptied before every run (fixture), so each
    # run starts from the committed corpus alone.
    set(scratch ${CMAKE_CURRENT_BINARY_DIR}/corpus_${name})
    find_program(IRQSHAPE_SETARCH setarch)  # util-linux
    set(fixed_layout "")
    if(IRQSHAPE_SETARCH)
      set(fixed_layout ${IRQSHAPE_SETARCH} -R)
    endif()
    add_test(NAME fuzz.${name}.scratch
      COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\"" sh ${scratch})
    add_test(NAME fuzz.${name}
      COMMAND ${fixed_layout} ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
              $<TARGET_FILE:fuzz_${name}> -runs=${ARG_RUNS} -reload=0 -max_total_time=${IRQSHAPE_FUZZ_SECONDS}
              -seed=${IRQSHAPE_FUZZ_SEED}
              -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              ${scratch} ${corpus})
    set_tests_properties(fuzz.${name}.scratch PROPERTIES LABELS fuzz FIXTURES_SETUP fuzz_${name})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300 FIXTURES_REQUIRED fuzz_${name})
  else()
    add_executable(fuzz_${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    target_compile_options(fuzz_${name} PRIVATE ${IRQSHAPE_WARNINGS})
    target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
    add_test(NAME fuzz_replay.${name} COMMAND fuzz_${name} ${corpus})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz_replay TIMEOUT 120)
  endif()
  add_dependencies(fuzz_targets fuzz_${name})
endfunction()
