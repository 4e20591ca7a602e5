# relay_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>] [OUTPUT_DIR <dir>]
#                  [NO_INSTALL])
#
# Builds a Relay plugin: a MODULE library `librelay_<name>.so`, target
# `relay_plugin_<name>`, linked against relay::sdk. Put the output directory on the
# pipeline's `plugins.path` (or RELAY_PLUGIN_PATH) and name the plugin in `use:`.
# When RELAY_INSTALL_PLUGIN_DIR is set, the plugin is installed there (in the install
# component RELAY_INSTALL_PLUGIN_COMPONENT, when set), unless NO_INSTALL says it is
# only for tests.
function(relay_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  set(target relay_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE relay::sdk ${ARG_LIBRARIES})
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
