# `cpack -G DEB` (from the build directory): harness_VERSION_amd64.deb installing into /usr.
# Depends comes from the shared libraries the binaries link (dpkg-shlibdeps), plus bubblewrap,
# the default sandbox; podman and redis-server serve optional drivers and stores.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME harness)
set(CPACK_PACKAGE_VENDOR harness)
set(CPACK_PACKAGE_CONTACT "harness maintainers <dev@harness>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "sandboxed, durable AI agent leaves: harnessd and harnessctl")
set(CPACK_PACKAGE_DESCRIPTION
    "harnessd runs agent leaves: LLM agent loops whose tool calls execute in a bubblewrap, \
container or Kubernetes sandbox, persisting every step so a leaf survives restarts and can \
wait for human approval. harnessctl is its command-line client.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "bubblewrap")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "podman, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/share/debian/postinst;${PROJECT_SOURCE_DIR}/share/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
