# `cmake --install build --prefix DIR`: bin/shardrun, the public headers,
# lib/libshardrun.so (the public API that plugins link) and the CMake package
# lib/cmake/shardrun/ for find_package(shardrun). Every path inside is
# relative to the prefix, so an installed tree can be moved or copied.
include(CMakePackageConfigHelpers)
set(SHARDRUN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/shardrun)

install(TARGETS shardrun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS shardrun_api shardrun_headers EXPORT shardrunTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(shardrun_headers PROPERTIES EXPORT_NAME headers)
install(DIRECTORY include/shardrun DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT shardrunTargets NAMESPACE shardrun:: DESTINATION ${SHARDRUN_CMAKE_DIR})

configure_package_config_file(cmake/shardrunConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/shardrunConfig.cmake
                              INSTALL_DESTINATION ${SHARDRUN_CMAKE_DIR})
# 0.x: a plugin asks for the minor version it was written for (0.2 takes 0.2.*).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/shardrunConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/shardrunConfig.cmake
              ${PROJECT_BINARY_DIR}/shardrunConfigVersion.cmake
        DESTINATION ${SHARDRUN_CMAKE_DIR})
