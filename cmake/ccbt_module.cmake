# ccbt_module(NAME SOURCES a.cpp b.cpp DEPS ccbt_x ccbt_y [LIBS external...])
#
# Declares one src/ module as its own static library target `ccbt_<NAME>`. A module links only the
# modules it names in DEPS, so an include of a module it may not use fails to link.
function(ccbt_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;LIBS" ${ARGN})
  set(target ccbt_${name})
  if(NOT M_SOURCES)
    # A module whose sources are not written yet: header-only until they are.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} INTERFACE ${M_DEPS} ${M_LIBS})
    return()
  endif()
  add_library(${target} STATIC ${M_SOURCES})
  target_include_directories(${target} PUBLIC
    ${PROJECT_SOURCE_DIR}/include
    ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${M_DEPS} ${M_LIBS} PRIVATE ccbt_warnings)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# ccbt_unit_test(MODULE SOURCES ... DEPS ...) -> executable unit_<MODULE>, registered with CTest.
function(ccbt_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  set(target unit_${name})
  add_executable(${target} ${T_SOURCES})
  target_link_libraries(${target} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock ccbt_warnings)
  target_compile_definitions(${target} PRIVATE
    CCBT_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
