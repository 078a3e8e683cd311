# The side-by-side diff view (widgets/diff): included at the end of widgets/CMakeLists.txt.
set(GRAFT_DIFF_WIDGET_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/diff_view.cpp
  ${CMAKE_CURRENT_LIST_DIR}/diff_view.h)
target_sources(graft-widgets PRIVATE ${GRAFT_DIFF_WIDGET_SOURCES})
set_property(GLOBAL APPEND PROPERTY GRAFT_WIDGETS_SOURCES ${GRAFT_DIFF_WIDGET_SOURCES})
