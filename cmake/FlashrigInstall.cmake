# `cmake --install`: the libraries (one per component, see flashrig_export_library), their
# public headers, the `flashrig` CLI, the part database and JSON Schemas under
# share/flashrig, the udev rules, the CMake package (find_package(flashrig 0.2): targets
# flashrig::<component> and the layer umbrellas flashrig::driver, flashrig::kvstore,
# flashrig::hil) and flashrig.pc. Included once, after every component exists.
include(CMakePackageConfigHelpers)

set(FLASHRIG_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/flashrig)
set(FLASHRIG_DATA_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/flashrig)
set(FLASHRIG_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING
    "Where the udev rules go, relative to the prefix (udev reads /usr/lib/udev/rules.d and /etc/udev/rules.d)")

# Libraries not made by flashrig_add_component: the KV engine and the layer umbrellas.
# (flashrig::kvstore is both the component and its layer's umbrella.)
foreach(lib flashrig_kvstore flashrig_driver flashrig_hil)
  flashrig_export_library(${lib})
endforeach()

# Installed binaries find the installed shared libraries (if any) next to themselves.
file(RELATIVE_PATH lib_from_bin ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
set_target_properties(flashrig PROPERTIES INSTALL_RPATH "$ORIGIN/${lib_from_bin}")
install(TARGETS flashrig RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

get_property(exported GLOBAL PROPERTY FLASHRIG_EXPORTED_LIBRARIES)
list(REMOVE_DUPLICATES exported)
foreach(lib IN LISTS exported)
  # Source-tree include paths are build-only; installed, the headers are in include/.
  get_target_property(includes ${lib} INTERFACE_INCLUDE_DIRECTORIES)
  if(includes)
    set(rewritten "")
    foreach(dir IN LISTS includes)
      if(dir MATCHES "^\\$<")
        list(APPEND rewritten "${dir}")
      else()
        list(APPEND rewritten "$<BUILD_INTERFACE:${dir}>")
        install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
                FILES_MATCHING PATTERN "*.h")
      endif()
    endforeach()
    list(APPEND rewritten "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
    set_target_properties(${lib} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${rewritten}")
  endif()
  get_target_property(type ${lib} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    set_target_properties(${lib} PROPERTIES INSTALL_RPATH "$ORIGIN")
  endif()
endforeach()
install(TARGETS ${exported} EXPORT flashrigTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT flashrigTargets NAMESPACE flashrig:: DESTINATION ${FLASHRIG_CMAKE_INSTALL_DIR})

# The CMake package: flashrigConfig.cmake finds the dependencies the installed targets
# name (nlohmann_json always; fmt and, for static libraries, libftdi1 and libusb too).
get_target_property(ftdi_type flashrig_driver_ftdi TYPE)
set(FLASHRIG_STATIC_LIBS OFF)
if(ftdi_type STREQUAL "STATIC_LIBRARY")
  set(FLASHRIG_STATIC_LIBS ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/flashrigConfig.cmake.in
  ${PROJECT_BINARY_DIR}/flashrigConfig.cmake
  INSTALL_DESTINATION ${FLASHRIG_CMAKE_INSTALL_DIR}
  PATH_VARS FLASHRIG_DATA_INSTALL_DIR)
# 0.x: minor versions may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flashrigConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flashrigConfig.cmake
              ${PROJECT_BINARY_DIR}/flashrigConfigVersion.cmake
        DESTINATION ${FLASHRIG_CMAKE_INSTALL_DIR})

# pkg-config: every component library, highest layer first (static link order). Static
# libraries need fmt, libftdi1, libusb and umockdev (hil_emulate) at link time: plain Requires, so a plain
# `pkg-config --libs flashrig` links (--static would also drag in libusb's -ludev).
if(FLASHRIG_STATIC_LIBS)
  set(FLASHRIG_PC_REQUIRES " fmt libftdi1 libusb-1.0 umockdev-1.0")
  set(FLASHRIG_PC_REQUIRES_PRIVATE "")
else()
  set(FLASHRIG_PC_REQUIRES "")
  set(FLASHRIG_PC_REQUIRES_PRIVATE " fmt libftdi1 libusb-1.0 umockdev-1.0")
endif()
# Link order from the components' own links: each library before the libraries it links
# (a depth-first walk of LINK_LIBRARIES; dependencies first, then reversed), so a new
# component needs no edit here.
function(flashrig_link_order_visit lib)
  get_property(done GLOBAL PROPERTY FLASHRIG_PC_VISITED)
  if(lib IN_LIST done)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY FLASHRIG_PC_VISITED ${lib})
  get_target_property(type ${lib} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(deps ${lib} INTERFACE_LINK_LIBRARIES)
  else()
    get_target_property(deps ${lib} LINK_LIBRARIES)
  endif()
  foreach(dep IN LISTS deps)
    if(dep MATCHES "^flashrig_" AND TARGET ${dep})
      flashrig_link_order_visit(${dep})
    endif()
  endforeach()
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    set_property(GLOBAL APPEND PROPERTY FLASHRIG_PC_ORDER ${lib})
  endif()
endfunction()
foreach(lib IN LISTS exported)
  flashrig_link_order_visit(${lib})
endforeach()
get_property(order GLOBAL PROPERTY FLASHRIG_PC_ORDER)
list(REVERSE order)
set(FLASHRIG_PC_LIBS "")
foreach(lib IN LISTS order)
  string(APPEND FLASHRIG_PC_LIBS " -l${lib}")
endforeach()
# Relocatable: the prefix is found from where flashrig.pc lies (${pcfiledir}).
file(RELATIVE_PATH FLASHRIG_PC_PREFIX_FROM_PCDIR ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" FLASHRIG_PC_PREFIX_FROM_PCDIR "${FLASHRIG_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/flashrig.pc.in ${PROJECT_BINARY_DIR}/flashrig.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/flashrig.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Data: the part database (`sim:w25q128jv` and `flashrig parts` find it relative to the
# installed executable), the JSON Schemas for editors, the udev rules.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/parts ${PROJECT_SOURCE_DIR}/configs/schema
        DESTINATION ${FLASHRIG_DATA_INSTALL_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/configs/udev/99-flashrig-ftdi.rules
        DESTINATION ${FLASHRIG_UDEV_RULES_DIR})

include(FlashrigPackage)
