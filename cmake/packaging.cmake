# Installation (GNUInstallDirs) and the Debian package (CPack DEB) — issue 7, docs/operations.md.
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-release && cmake --install build-release      # or:
#   (cd build-release && cpack -G DEB)                                # trechter_VERSION_amd64.deb
#
# The units name /usr/sbin/trechterd: install with prefix /usr (the package always does).
set(TRECHTER_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd unit directory, relative to the prefix")
set(TRECHTER_SYSUSERSDIR "lib/sysusers.d" CACHE STRING "sysusers.d directory, relative to the prefix")
set(TRECHTER_TMPFILESDIR "lib/tmpfiles.d" CACHE STRING "tmpfiles.d directory, relative to the prefix")

install(FILES systemd/trechterd.service systemd/trechterd-audit-retention.service
              systemd/trechterd-audit-retention.timer
        DESTINATION ${TRECHTER_SYSTEMD_UNITDIR} COMPONENT daemon)
install(FILES systemd/trechterd.sysusers DESTINATION ${TRECHTER_SYSUSERSDIR}
        RENAME trechter.conf COMPONENT daemon)
install(FILES systemd/trechterd.tmpfiles DESTINATION ${TRECHTER_TMPFILESDIR}
        RENAME trechter.conf COMPONENT daemon)
install(FILES man/trechterd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT daemon)
if(EXISTS ${CMAKE_SOURCE_DIR}/man/trechterd.conf.5)
  install(FILES man/trechterd.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 COMPONENT daemon)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/man/trechter.1)
  install(FILES man/trechter.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT daemon)
endif()
install(FILES systemd/trechterd.conf.example DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT daemon)
file(GLOB TRECHTER_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${TRECHTER_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT daemon)
# The migrations are built into the binary; the files are installed for reference and review.
file(GLOB TRECHTER_SQL CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sql/*.sql ${CMAKE_SOURCE_DIR}/sql/*.csv
     ${CMAKE_SOURCE_DIR}/sql/*.md)
install(FILES ${TRECHTER_SQL} DESTINATION ${CMAKE_INSTALL_DATADIR}/trechter/sql COMPONENT daemon)

set(CPACK_PACKAGE_NAME trechter)
set(CPACK_PACKAGE_VENDOR "trechter")
set(CPACK_PACKAGE_CONTACT "trechter maintainers <maintainers@trechter.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Funnel figures of Dutch municipalities: HTTPS API daemon (trechterd) and client (trechter)")
set(CPACK_PACKAGE_DESCRIPTION
    "trechterd collects quarterly funnel figures from municipalities and serves protected
 regional comparisons over HTTPS (PostgreSQL backend, systemd service with watchdog).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd (>= 252)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 15), postgresql-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
