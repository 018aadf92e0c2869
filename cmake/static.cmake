# harness_static_executable(TARGET): link TARGET statically, without the project-wide sanitizer
# flags (HARNESS_SANITIZE, HARNESS_FUZZ): sanitizers cannot link statically. For the small C
# programs that run inside sandboxes and containers, which may have no libc of ours.
function(harness_static_executable target)
  foreach(prop COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(opts ${target} ${prop})
    if(opts)
      list(FILTER opts EXCLUDE REGEX "sanitize")
      set_target_properties(${target} PROPERTIES ${prop} "${opts}")
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
                                             C_EXTENSIONS OFF)
  target_link_options(${target} PRIVATE -static)
endfunction()
