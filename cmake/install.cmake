# What `cmake --install` puts where (the .deb is the same tree under /usr). The binaries are
# installed by apps/*/CMakeLists.txt: harnessctl in bin, harnessd in sbin (a daemon run by root).

install(FILES man/harnessd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES man/harnessctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Completions where bash-completion, zsh and fish look for vendor scripts.
install(FILES share/completions/harnessctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME harnessctl)
install(FILES share/completions/_harnessctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES share/completions/harnessctl.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# systemd's directories are relative to the prefix, not LIBDIR (which is lib/<triplet> on
# Debian): /usr/lib/systemd/system for the .deb, /usr/local/lib/systemd/system by default.
install(FILES share/sysusers.d/harness.conf DESTINATION lib/sysusers.d)
install(FILES share/tmpfiles.d/harness.conf DESTINATION lib/tmpfiles.d)

# The unit's ExecStart names harnessd where this very install puts it. The prefix is only known
# at install time (`cmake --install --prefix DIR`, and cpack installs into /usr whatever the
# build was configured with), so the unit is generated then, from the template.
install(CODE "
  set(HARNESSD_PATH \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/harnessd\")
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SBINDIR}\")
    set(HARNESSD_PATH \"${CMAKE_INSTALL_SBINDIR}/harnessd\")
  endif()
  configure_file(\"${PROJECT_SOURCE_DIR}/share/systemd/harnessd.service.in\"
                 \"${PROJECT_BINARY_DIR}/install/harnessd.service\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\" TYPE FILE
       FILES \"${PROJECT_BINARY_DIR}/install/harnessd.service\")
")

install(FILES share/examples/harnessd.toml share/examples/harnessd.env
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md LICENSE docs/operations.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
