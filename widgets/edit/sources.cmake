# Hand edits and recipes in the studio (widgets/edit): included at the end of widgets/CMakeLists.txt.
set(GRAFT_EDIT_WIDGET_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/edit_panels.cpp
  ${CMAKE_CURRENT_LIST_DIR}/edit_panels.h
  ${CMAKE_CURRENT_LIST_DIR}/edit_session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/edit_session.h)
target_sources(graft-widgets PRIVATE ${GRAFT_EDIT_WIDGET_SOURCES})
set_property(GLOBAL APPEND PROPERTY GRAFT_WIDGETS_SOURCES ${GRAFT_EDIT_WIDGET_SOURCES})
