# Tests of the event sink (reco_serve_events). The writer executable is the child the kill -9
# test spawns (and the append benchmark).
add_executable(reco_serve_event_sink_writer event_sink_writer_main.cc)
target_link_libraries(reco_serve_event_sink_writer PRIVATE reco_serve_events reco_build_flags)
reco_add_test(reco_serve_event_sink_test SOURCES event_sink_test.cc DEPS reco_serve_events LABELS serve)
target_compile_definitions(reco_serve_event_sink_test PRIVATE
  RECO_EVENT_SINK_WRITER="$<TARGET_FILE:reco_serve_event_sink_writer>")
add_dependencies(reco_serve_event_sink_test reco_serve_event_sink_writer)
