# reco_serve_events: the durable event sink behind POST /v1/events — the event log (write-ahead,
# EventWriter's CSV) and the Memboost counters (RocksDB), group-committed (docs/serving.md).
reco_add_library(serve_events
  SOURCES event_log_appender.cc event_sink.cc
  PUBLIC_DEPS reco_memboost reco_data reco_core nlohmann_json::nlohmann_json)
