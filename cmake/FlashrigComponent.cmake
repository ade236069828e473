# flashrig_add_component(TARGET SOURCES src... [PUBLIC_DEPS t...] [PRIVATE_DEPS t...])
# One component = one folder = one library: sources in src/, public headers in
# include/flashrig/<layer>/<component>/. Only the component's own include/ is exported, so
# a component that includes another's header must name it in PUBLIC_DEPS or PRIVATE_DEPS;
# nothing reaches across by include path alone.
function(flashrig_add_component target)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${target} ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
