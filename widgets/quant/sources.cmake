# Quantization in the studio (widgets/quant): included at the end of widgets/CMakeLists.txt.
set(GRAFT_QUANT_WIDGET_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/quant_panel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/quant_panel.h)
target_sources(graft-widgets PRIVATE ${GRAFT_QUANT_WIDGET_SOURCES})
set_property(GLOBAL APPEND PROPERTY GRAFT_WIDGETS_SOURCES ${GRAFT_QUANT_WIDGET_SOURCES})
