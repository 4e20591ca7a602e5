# relay_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>] [OUTPUT_DIR <dir>]
#                  [NO_INSTALL] [ALLOW_UNDEFINED])
#
# Builds a Relay plugin: a MODULE library `librelay_<name>.so`, target
# `relay_plugin_<name>`, linked against relay::sdk. Put the output directory on the
# pipeline's `plugins.path` (or RELAY_PLUGIN_PATH) and name the plugin in `use:`.
# When RELAY_INSTALL_PLUGIN_DIR is set, the plugin is installed there (in the install
# component RELAY_INSTALL_PLUGIN_COMPONENT, when set), unless NO_INSTALL says it is
# only for tests.
#
# The plugin is linked with --no-undefined: every symbol it uses must come from its own
# code, the SDK (header-only) or a library in LIBRARIES, so a missing one is a link
# error naming it, not a load error in relay. The host exports nothing a plugin may
# rely on (only its copies of Asio's template statics, which the plugin also has).
# ALLOW_UNDEFINED turns the check off for a plugin that must leave symbols to the
# process (a test that loads a broken plugin on purpose). Builds with Clang's
# sanitizers link their runtime only into executables, so the check is off for them
# (RELAY_SANITIZE, or -fsanitize in CMAKE_CXX_FLAGS / CMAKE_SHARED_LINKER_FLAGS /
# CMAKE_MODULE_LINKER_FLAGS); GCC links its runtimes into the plugin and keeps it.
function(relay_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL;ALLOW_UNDEFINED" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  set(target relay_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE relay::sdk ${ARG_LIBRARIES})
  set(sanitized_by_clang OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    string(CONCAT flags "${CMAKE_CXX_FLAGS} ${CMAKE_SHARED_LINKER_FLAGS} "
           "${CMAKE_MODULE_LINKER_FLAGS}")
    if(RELAY_SANITIZE OR flags MATCHES "-fsanitize")
      set(sanitized_by_clang ON)
    endif()
  endif()
  if(NOT ARG_ALLOW_UNDEFINED AND NOT sanitized_by_clang AND NOT APPLE AND NOT WIN32)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    if(DEFINED RELAY_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIR ${RELAY_PLUGIN_OUTPUT_DIR})
    else()
      set(ARG_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME relay_${name}
    PREFIX lib
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  if(DEFINED RELAY_INSTALL_PLUGIN_DIR AND NOT ARG_NO_INSTALL)
    set(component)
    if(DEFINED RELAY_INSTALL_PLUGIN_COMPONENT)
      set(component COMPONENT ${RELAY_INSTALL_PLUGIN_COMPONENT})
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${RELAY_INSTALL_PLUGIN_DIR} ${component})
  endif()
endfunction()
