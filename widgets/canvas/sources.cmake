# The graph canvas (widgets/canvas): included at the end of widgets/CMakeLists.txt.
set(GRAFT_CANVAS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/canvas_scene.cpp
  ${CMAKE_CURRENT_LIST_DIR}/canvas_scene.h
  ${CMAKE_CURRENT_LIST_DIR}/canvas_style.cpp
  ${CMAKE_CURRENT_LIST_DIR}/canvas_style.h
  ${CMAKE_CURRENT_LIST_DIR}/find_panel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/find_panel.h
  ${CMAKE_CURRENT_LIST_DIR}/graph_canvas.cpp
  ${CMAKE_CURRENT_LIST_DIR}/graph_canvas.h
  ${CMAKE_CURRENT_LIST_DIR}/graph_view.cpp
  ${CMAKE_CURRENT_LIST_DIR}/graph_view.h
  ${CMAKE_CURRENT_LIST_DIR}/minimap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/minimap.h
  ${CMAKE_CURRENT_LIST_DIR}/tensor_viewer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_viewer.h)
target_sources(graft-widgets PRIVATE ${GRAFT_CANVAS_SOURCES})
# Translatable like the rest of the library (app/studio's qt_add_translations reads this).
set_property(GLOBAL APPEND PROPERTY GRAFT_WIDGETS_SOURCES ${GRAFT_CANVAS_SOURCES})
