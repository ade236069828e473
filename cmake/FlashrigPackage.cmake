# CPack: `cpack -G DEB` in a build directory makes flashrig_<version>_<arch>.deb from what
# `cmake --install` installs (prefix /usr). Its runtime dependencies are named here, for
# Debian 12 (bookworm); .ci/steps/45-install.sh checks they are exactly the packages
# dpkg-shlibdeps finds (spdlog is header-only in use: the binary loads no libspdlog).
set(CPACK_PACKAGE_NAME flashrig)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "flashrig")
set(CPACK_PACKAGE_CONTACT "flashrig maintainers <flashrig@invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "SPI NOR flash benchmarks, part qualification and a TicKV-format KV store")
set(CPACK_PACKAGE_DESCRIPTION
    "The flashrig CLI (campaigns, raw chip access over FTDI MPSSE and serprog, a simulated \
chip), the part database and JSON Schemas, udev rules for FTDI bridges, and the C++20 \
libraries, headers and CMake/pkg-config files to use RamFlash, the simulated chip, the SPI \
NOR driver and the KV engine in other projects.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
# What the installed binaries and shared libraries load at run time.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1, libftdi1-2 (>= 1.5), libusb-1.0-0 (>= 2:1.0.26), libfmt9, libumockdev0 (>= 0.17), libglib2.0-0 (>= 2.74)")
# What building against the installed CMake package / flashrig.pc needs, and umockdev
# (umockdev-wrapper and the preload library), which `flashrig emulate` runs COMMAND with.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "umockdev, nlohmann-json3-dev, libfmt-dev, libftdi1-dev, libusb-1.0-0-dev, libumockdev-dev, pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "flashrom")
include(CPack)
