# flashrig_add_component(TARGET SOURCES src... [PUBLIC_DEPS t...] [PRIVATE_DEPS t...])
# One component = one folder = one library: sources in src/, public headers in
# include/flashrig/<layer>/<component>/. Only the component's own include/ is exported, so
# a component that includes another's header must name it in PUBLIC_DEPS or PRIVATE_DEPS;
# nothing reaches across by include path alone.
#
# Every component is also installed and exported (cmake/FlashrigInstall.cmake): the library,
# its include/ tree, and the imported target flashrig::<name without "flashrig_">
# (flashrig_driver_flash -> flashrig::driver_flash), also available in this tree as an alias.
include(GNUInstallDirs)

function(flashrig_add_component target)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${target} ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  flashrig_export_library(${target})
endfunction()

# flashrig_export_library(TARGET): marks a library (a component, a layer umbrella, or a
# library not made by flashrig_add_component such as flashrig_kvstore) for installation in
# the flashrigTargets export set, named flashrig::<TARGET without "flashrig_">. Include
# directories given as source paths are rewritten to $<BUILD_INTERFACE:...> plus the
# installed include/, so component CMakeLists.txt files stay install-agnostic.
function(flashrig_export_library target)
  string(REGEX REPLACE "^flashrig_" "" export_name ${target})
  if(TARGET flashrig::${export_name})
    return()  # Already exported.
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  add_library(flashrig::${export_name} ALIAS ${target})
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    set_target_properties(${target} PROPERTIES VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  endif()
  set_property(GLOBAL APPEND PROPERTY FLASHRIG_EXPORTED_LIBRARIES ${target})
endfunction()
