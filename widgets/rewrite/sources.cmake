# Match and rewrite in the studio (widgets/rewrite): included at the end of widgets/CMakeLists.txt.
set(GRAFT_REWRITE_WIDGET_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/preview_dialog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/preview_dialog.h
  ${CMAKE_CURRENT_LIST_DIR}/rewrite_panel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rewrite_panel.h
  ${CMAKE_CURRENT_LIST_DIR}/rewrite_session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rewrite_session.h)
target_sources(graft-widgets PRIVATE ${GRAFT_REWRITE_WIDGET_SOURCES})
set_property(GLOBAL APPEND PROPERTY GRAFT_WIDGETS_SOURCES ${GRAFT_REWRITE_WIDGET_SOURCES})
